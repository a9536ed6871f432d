"""One family of errors for every Xero failure, each carrying a plain explanation and the fix.

The twin of :mod:`wisesync.psa.errors`: ``str(error)`` is safe to show to a person and to log.
It never holds a token or the client secret (the client scrubs Xero's own words with
:func:`wisesync.psa.errors.scrub` before they land in ``xero_message``).
"""
from __future__ import annotations

RECONNECT = "Reconnect Xero on the company's page"


class XeroError(Exception):
    """Base class. ``explanation`` says what happened, ``fix`` what to do about it."""

    title = "The Xero call failed"

    def __init__(self, explanation: str, fix: str = "", *, status: int | None = None,
                 xero_message: str | None = None):
        super().__init__(explanation)
        self.explanation = explanation
        self.fix = fix
        self.status = status
        self.xero_message = xero_message  # Xero's own words, for support (already scrubbed)

    def __str__(self) -> str:
        return f"{self.explanation} {self.fix}".strip()

    def as_dict(self) -> dict:
        return {"kind": type(self).__name__, "title": self.title, "explanation": self.explanation,
                "fix": self.fix, "status": self.status, "xero_message": self.xero_message}


class XeroBlockedTarget(XeroError):
    """The outbound guard refused the address (http, private or loopback host...)."""

    title = "That Xero address is not allowed"


class XeroAuthError(XeroError):
    """Xero rejected the access token (401) or the app's client id/secret."""

    title = "Xero did not accept Wise-Sync's sign-in"


class XeroGrantRevoked(XeroError):
    """Xero refused to renew access (``invalid_grant`` on refresh): only reconnecting helps."""

    title = "The Xero connection was lost"


class XeroForbidden(XeroError):
    """403: the organisation was disconnected from the app, or the app lacks a scope."""

    title = "Xero refused access to the organisation"


class XeroNotFound(XeroError):
    """404: the document, organisation or connection does not exist."""

    title = "Not found in Xero"


class XeroRateLimited(XeroError):
    """429 that waiting within the policy cannot fix.

    ``retry_after`` is in seconds (None when Xero did not say); ``problem`` comes from
    ``X-Rate-Limit-Problem``: "minute", "day", "concurrent" or "appminute" (None when absent).
    """

    title = "Xero asked us to slow down"

    def __init__(self, explanation: str, fix: str = "", *, retry_after: float | None = None,
                 problem: str | None = None, **kw):
        super().__init__(explanation, fix, **kw)
        self.retry_after = retry_after
        self.problem = problem


class XeroValidationError(XeroError):
    """400: Xero refused the request; ``messages`` lists every reason it gave."""

    title = "Xero refused the data"

    def __init__(self, explanation: str, fix: str = "", *, messages: list[str] | None = None, **kw):
        super().__init__(explanation, fix, **kw)
        self.messages = list(messages or [])


class XeroUnavailable(XeroError):
    """Xero could not be reached or kept failing (DNS, connection, timeout, 5xx)."""

    title = "Xero could not be reached"


class XeroBadResponse(XeroError):
    """Xero answered with something we cannot read (not JSON, unexpected shape)."""

    title = "Xero sent an unreadable answer"
