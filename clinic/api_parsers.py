"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest, and text that is
Unicode (JSON's "\\ud800" escapes decode to lone surrogates, which no database can store)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The referral body nests three deep (object -> attachments -> object); anything far deeper is
# a mistake or a probe.
MAX_JSON_DEPTH = 16


def _is_surrogate_free(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem(value, limit: int) -> str | None:
    """Walks containers without recursion, so no nesting can exhaust the stack here."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str) and not _is_surrogate_free(item):
            return "surrogate"
        if isinstance(item, dict | list):
            if depth > limit:
                return "depth"
            if isinstance(item, dict):
                if not all(_is_surrogate_free(key) for key in item):
                    return "surrogate"
                children = item.values()
            else:
                children = item
            stack.extend((child, depth + 1) for child in children)
    return None


class BoundedJSONParser(JSONParser):
    """A body nested deeper than the decoder's recursion limit raises RecursionError, which DRF
    does not expect (a 500); here it is a ParseError, answered 400 in the API's error shape."""

    def parse(self, stream, media_type=None, parser_context=None):
        message = _("The JSON body is nested too deeply (at most %(n)d levels).") % {
            "n": MAX_JSON_DEPTH
        }
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(message) from exc
        problem = _problem(data, MAX_JSON_DEPTH)
        if problem == "depth":
            raise ParseError(message)
        if problem == "surrogate":
            raise ParseError(_("The JSON body holds a lone surrogate (\\ud800-\\udfff), not text."))
        return data
