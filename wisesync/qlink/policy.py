"""A QLink session must give the password before sensitive actions (DESIGN §5).

A QLink is a bearer credential stored in someone else's menu; whoever holds it gets a session
but not the keys to the kingdom. The rule is central (one ``before_request``) and keyed by
endpoint *prefix*, so routes that other features add later under these blueprints are covered
without anyone remembering to decorate them.
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, request, session, url_for
from flask_login import current_user

# Every endpoint that starts with one of these asks a QLink session for the password:
# user management, PSA secrets, integration settings, account settings, QLink (re)generation,
# and the person's Google account (its tokens are secrets, like the PSA credentials).
SENSITIVE_PREFIXES = (
    "users.",
    "companies.",
    "credentials.",
    "google.",
    "integrations.",
    "security.account",
    "security.audit",
    "qlink.generate",
    "qlink.revoke",
    "qlink.admin",
)
REAUTH_SECONDS = 15 * 60

SESSION_MARK = "qlink"  # holds the id of the user the QLink logged in
LINK_MARK = "qlink_link"  # which QLink (id and generation) opened the session
REAUTH_MARK = "qlink_reauth_at"


def mark_qlink_session(user, link_marker: str | None = None) -> None:
    """Call right after ``login_user`` in the QLink view, with :func:`services.qlink_marker`."""
    session[SESSION_MARK] = user.id
    session[LINK_MARK] = link_marker
    session.pop(REAUTH_MARK, None)


def end_sessions_of_dead_qlinks():
    """A QLink session lives only as long as the QLink that opened it: revoking it, generating
    a new one, a password reset or disabling the user ends the sessions it opened at once."""
    if not is_qlink_session():
        return None
    from flask_login import logout_user

    from wisesync.qlink.services import qlink_marker

    marker = session.get(LINK_MARK)
    if marker and marker == qlink_marker(current_user):
        return None
    logout_user()
    session.clear()
    flash("The QLink this session was opened with was revoked or replaced, so the session ended. "
          "Log in, or ask your account administrator for the new QLink.", "info")
    if request.accept_mimetypes.best == "application/json":
        return {"error": "Session ended", "message": "The QLink of this session was revoked."}, 401
    return redirect(url_for("auth.login"), 303)


def is_qlink_session() -> bool:
    # Bound to the user id: a password login after a QLink user logged out is not marked.
    return bool(current_user.is_authenticated and session.get(SESSION_MARK) == current_user.id)


def mark_reauthenticated() -> None:
    session[REAUTH_MARK] = int(time.time())


def recently_reauthenticated() -> bool:
    at = session.get(REAUTH_MARK)
    return isinstance(at, int) and 0 <= time.time() - at < REAUTH_SECONDS


def is_sensitive(endpoint: str | None) -> bool:
    return bool(endpoint) and endpoint.startswith(SENSITIVE_PREFIXES)


def _back_to() -> str:
    """Where to go after the password: the page itself for a GET, the form's page for a POST."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    ref = urlsplit(request.referrer or "")
    if ref.netloc == request.host and ref.path.startswith("/"):
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return url_for("auth.home")


def require_password_for_sensitive_actions():
    if not (is_sensitive(request.endpoint) and is_qlink_session()) or recently_reauthenticated():
        return None
    target = url_for("qlink.reauth", next=_back_to())
    if request.accept_mimetypes.best == "application/json":
        return {"error": "Password required",
                "message": "This session was opened with a QLink; confirm your password first.",
                "reauth": target}, 401
    flash("You opened Wise-Sync with a QLink. Enter your password to continue"
          + ("." if request.method == "GET" else ", then repeat what you were doing."), "info")
    return redirect(target, 303)


def init_policy(app: Flask) -> None:
    app.before_request(end_sessions_of_dead_qlinks)
    app.before_request(require_password_for_sensitive_actions)
