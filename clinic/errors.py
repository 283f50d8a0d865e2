class ApplicationError(Exception):
    """A refusal a person can read: services raise it, views show its message.

    `field` ties the message to one form field when it is about one.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover):
    every request fails this way until it is back, and nothing about the request is wrong."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


class DatabaseDownLogFilter:
    """On django.request: a request that failed because the database is unavailable is logged
    as one WARNING line naming the error's kind, without its traceback (a restart under load
    wrote 20,000 traceback lines in ten seconds). Every other failure keeps its full traceback."""

    def filter(self, record) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if database_unavailable(exc):
            request = getattr(record, "request", None)
            record.msg = "database unavailable (%s): %s %s"
            record.args = (
                type(exc).__name__,
                getattr(request, "method", ""),
                getattr(request, "path", ""),
            )
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = 30, "WARNING"
        return True
