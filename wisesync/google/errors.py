"""One family of errors for every Google failure, each with a plain explanation and the fix
(the twin of :mod:`wisesync.accounting.errors`). ``str(error)`` never holds a token."""
from __future__ import annotations

RECONNECT = "Reconnect Google on your user page (Users → you → Google → Connect Google Account)"


class GoogleError(Exception):
    title = "The Google call failed"

    def __init__(self, explanation: str, fix: str = "", *, status: int | None = None):
        super().__init__(explanation)
        self.explanation = explanation
        self.fix = fix
        self.status = status

    def __str__(self) -> str:
        return f"{self.explanation} {self.fix}".strip()


class GoogleAuthError(GoogleError):
    """Google refused the sign-in code or Wise-Sync's OAuth client (id/secret)."""

    title = "Google did not accept Wise-Sync's sign-in"


class GoogleTokenRevoked(GoogleError):
    """Google no longer accepts the person's grant (revoked, expired, password changed):
    only connecting again helps."""

    title = "Reconnect Google"


class GoogleForbidden(GoogleError):
    """403: the grant lacks the Drive scope, or the file may not be downloaded."""

    title = "Google refused access"


class GoogleNotFound(GoogleError):
    title = "Not found in Google Drive"


class GoogleUnavailable(GoogleError):
    title = "Google could not be reached"


class GoogleBadResponse(GoogleError):
    title = "Google sent an unreadable answer"
