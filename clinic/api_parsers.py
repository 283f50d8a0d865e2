"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The referral body nests three deep (object -> attachments -> object); anything far deeper is
# a mistake or a probe.
MAX_JSON_DEPTH = 16


def _depth_exceeds(value, limit: int) -> bool:
    """Walks containers without recursion, so no nesting can exhaust the stack here."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


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
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(message)
        return data
