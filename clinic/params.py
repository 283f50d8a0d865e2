"""Reading ids and search words straight from a query string or a form field (where a whole
form would be overkill) without letting odd input turn into a 500."""

from django.http import Http404

MAX_PK = 2**31 - 1  # the largest id PostgreSQL's integer column holds


def pk_or_none(raw) -> int | None:
    """An id, or None for anything that is not one ("x", " ", "²", -1, a 40-digit number)."""
    raw = str(raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_PK else None


def pk_or_404(raw) -> int:
    """An id from the request; anything else answers 404, as a missing row would."""
    value = pk_or_none(raw)
    if value is None:
        raise Http404("No such object")
    return value


def search_text(raw, max_length: int = 100) -> str:
    """Words to search for: no NUL or other control characters (PostgreSQL refuses NUL)."""
    text = "".join(ch for ch in str(raw or "") if ch.isprintable())
    return text.strip()[:max_length]
