class ApplicationError(Exception):
    """A refusal a person can read: services raise it, views show its message.

    `field` ties the message to one form field when it is about one.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
