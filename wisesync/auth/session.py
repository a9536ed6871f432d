"""Flask-Login wiring: who is logged in, and when a session stops counting.

A session ends when the user's ``session_version`` moves on (logout, password change or reset,
disable: every session of that user at once), when it was idle longer than
``WISESYNC_SESSION_IDLE_MINUTES``, or when it is older than ``WISESYNC_SESSION_MAX_HOURS``.
The login time and last-seen time live in the (signed) session and are checked on every request.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, flash, session
from flask_login import logout_user, user_logged_in, user_logged_out
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wisesync.extensions import db, login_manager

LOGIN_AT, SEEN_AT, LOGIN_UID = "auth_at", "seen_at", "auth_uid"
SEEN_GRANULARITY = 30  # seconds: refresh last-seen at most this often (fewer cookie rewrites)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(enforce_session_age)


@login_manager.user_loader
def load_user(session_id: str):
    """``session_id`` is ``"<user id>:<session version>"`` (see ``User.get_id``).

    A disabled user, or one whose sessions were ended (password change, disable), comes back
    as anonymous on the next request.
    """
    from wisesync.users.models import User

    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # The menu shows the account on every page: load it in the same query.
    user = db.session.scalar(
        select(User).options(joinedload(User.account)).where(User.id == int(user_id)))
    if user is None or not user.enabled or user.session_version != int(version):
        return None
    return user


@user_logged_in.connect
def _stamp_login(sender, user, **extra) -> None:
    # Re-logging in the same user (after an own password change) keeps the original login time,
    # so the absolute limit cannot be stretched that way.
    now = int(time.time())
    if session.get(LOGIN_UID) != user.id or LOGIN_AT not in session:
        session[LOGIN_AT] = now
    session[LOGIN_UID] = user.id
    session[SEEN_AT] = now


@user_logged_out.connect
def _clear_stamps(sender, user, **extra) -> None:
    for key in (LOGIN_AT, SEEN_AT, LOGIN_UID):
        session.pop(key, None)


def enforce_session_age() -> None:
    """Idle and absolute timeouts, on every request of a logged-in session."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        # A session started before timeouts existed: start counting now.
        session[LOGIN_AT] = session[SEEN_AT] = now
        return
    config = current_app.config
    idle = now - seen_at > config["WISESYNC_SESSION_IDLE_MINUTES"] * 60
    too_old = now - login_at > config["WISESYNC_SESSION_MAX_HOURS"] * 3600
    if idle or too_old:
        logout_user()
        for key in (LOGIN_AT, SEEN_AT, LOGIN_UID):
            session.pop(key, None)
        flash("Your session expired" + (" after a period of inactivity" if idle else "")
              + ". Please log in again.", "info")
        return
    if now - seen_at >= SEEN_GRANULARITY:
        session[SEEN_AT] = now
