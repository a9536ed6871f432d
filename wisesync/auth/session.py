"""Flask-Login wiring: who is logged in, and when a session stops counting."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from wisesync.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


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
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.enabled or user.session_version != int(version):
        return None
    return user
