"""Access logs keep the path, never the query string: staff searches carry patients' names
and e-mails there (?q=...), and links carry tokens."""

import logging
import re

_QUERY = re.compile(r"\?\S*")


class DropQueryStrings(logging.Filter):
    """For Django's development server (logger django.server), whose message is the request
    line: 'GET /courses/?q=Lopez HTTP/1.1' is logged as 'GET /courses/ HTTP/1.1'."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            first, *rest = record.args
            if isinstance(first, str):
                record.args = (_QUERY.sub("", first), *rest)
        elif isinstance(record.msg, str):
            record.msg = _QUERY.sub("", record.msg)
        if hasattr(record, "request"):
            del record.request  # its repr shows the whole URL
        return True
