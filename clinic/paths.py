"""The paths of views that take no argument or one, and of static files, worked out once per
process.

Every page's header links to the same dozen views (the role's menu, home, sign out, the
language switcher) and four static files: reverse() and the static files' manifest lookup
cost more than the rest of the header. A view's path depends only on the URLconf and the
script prefix (the portal has no language in its URLs), so both are in the key; a static
file's URL only on the storage's settings. A settings change in a test clears what is kept."""

import re

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

_PATHS: dict[tuple[str, str | None, str], str] = {}
_AROUND: dict[tuple, tuple[str, str]] = {}
_STATIC: dict[str, str] = {}
# A value no page links to: where it lands in a reversed path is where a row's value goes.
_MARK = "987654321987"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")


def path_of(viewname: str) -> str:
    """reverse(viewname) of a view without arguments."""
    key = (viewname, get_urlconf(), get_script_prefix())
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = reverse(viewname)
    return path


def path_around(viewname: str, *more) -> tuple[str, str]:
    """The path of a view whose first argument is a row's value, as what comes before the value
    and what comes after it: reverse(viewname, args=[value, *more]) == head + value + tail for
    a value of letters, digits, - and _ (a table's ids), reversed once per process."""
    key = (viewname, more, get_urlconf(), get_script_prefix())
    around = _AROUND.get(key)
    if around is None:
        head, _mark, tail = reverse(viewname, args=[_MARK, *more]).rpartition(_MARK)
        around = _AROUND[key] = (head, tail)
    return around


def path_with(viewname: str, value) -> str:
    """reverse(viewname, args=[value]) of a view with one argument, for a link in every row
    (path_around, kept per process). A value with other characters than letters, digits, - and
    _ is reversed as it is (reverse() quotes it)."""
    text = str(value)
    if not _PLAIN.fullmatch(text):
        return reverse(viewname, args=[value])
    head, tail = path_around(viewname)
    return f"{head}{text}{tail}"


def static_url(name: str) -> str:
    """{% static name %}: the file's URL (with its content hash where the storage adds one)."""
    url = _STATIC.get(name)
    if url is None:
        url = _STATIC[name] = staticfiles_storage.url(name)
    return url


def _forget(*, setting: str, **_kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _PATHS.clear()
        _AROUND.clear()
    if setting in ("STORAGES", "STATIC_URL", "STATIC_ROOT", "STATICFILES_DIRS"):
        _STATIC.clear()


setting_changed.connect(_forget)
