"""Errors services raise for a route to show next to a form field (with HTTP 400)."""


class FieldError(Exception):
    """A business rule failed for one field, e.g. "That email is already used"."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
