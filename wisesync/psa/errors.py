"""One family of errors for every PSA failure, each carrying a plain explanation and the fix.

``str(error)`` is safe to show to a person and to log: it never contains a secret.
"""
from __future__ import annotations


def scrub(text: str | None, *secrets: str) -> str:
    """``text`` with every non-empty secret replaced by ``••••``: the PSA's own words may echo
    what was sent, and they end up in messages, logs and audit details."""
    text = text or ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "••••")
    return text


class PsaError(Exception):
    """Base class. ``explanation`` says what happened, ``fix`` what to do about it."""

    title = "The PSA call failed"

    def __init__(self, explanation: str, fix: str = "", *, status: int | None = None,
                 psa_message: str | None = None):
        super().__init__(explanation)
        self.explanation = explanation
        self.fix = fix
        self.status = status
        # The PSA's own words, for support (bodies are checked for secrets by the clients).
        self.psa_message = psa_message

    def __str__(self) -> str:
        return f"{self.explanation} {self.fix}".strip()

    def as_dict(self) -> dict:
        return {"kind": type(self).__name__, "title": self.title, "explanation": self.explanation,
                "fix": self.fix, "status": self.status, "psa_message": self.psa_message}


class PsaConfigError(PsaError):
    """Settings are incomplete or invalid; raised before anything is sent."""

    title = "Settings are incomplete"


class PsaBlockedTarget(PsaConfigError):
    """The outbound guard refused the address (http, private or loopback host...)."""

    title = "That PSA address is not allowed"


class PsaAuthError(PsaError):
    """The PSA rejected the credentials."""

    title = "The PSA rejected the credentials"


class PsaPermissionError(PsaError):
    """Authenticated, but the security role lacks a right. ``right`` names it when known."""

    title = "A permission is missing"

    def __init__(self, explanation: str, fix: str = "", *, right: str | None = None, **kw):
        super().__init__(explanation, fix, **kw)
        self.right = right


class PsaNotFound(PsaError):
    """The company ID, zone, or record does not exist."""

    title = "Not found in the PSA"


class PsaRateLimited(PsaError):
    """The PSA kept answering 429/503 after the bounded retries. ``retry_after`` in seconds."""

    title = "The PSA asked us to slow down"

    def __init__(self, explanation: str, fix: str = "", *, retry_after: float | None = None, **kw):
        super().__init__(explanation, fix, **kw)
        self.retry_after = retry_after


class PsaUnavailable(PsaError):
    """The PSA could not be reached or kept failing (DNS, connection, 5xx)."""

    title = "The PSA could not be reached"


class PsaTimeout(PsaUnavailable):
    title = "The PSA did not answer in time"


class PsaTlsError(PsaUnavailable):
    title = "The PSA's certificate could not be verified"


class PsaBadResponse(PsaError):
    """The PSA answered with something we cannot read (malformed JSON/XML, wrong shape)."""

    title = "The PSA sent an unreadable answer"


class PsaBatchExists(PsaError):
    """The PSA refused an accounting batch because its identifier is already used.

    ``identifier`` is the batch identifier sent. The sync treats the record as posted once it
    has checked that the record left the unposted list (DESIGN §10.5)."""

    title = "The PSA already has that batch"

    def __init__(self, explanation: str, fix: str = "", *, identifier: str | None = None, **kw):
        super().__init__(explanation, fix, **kw)
        self.identifier = identifier
