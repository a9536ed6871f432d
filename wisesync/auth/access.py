"""Role and account checks used by every view."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from wisesync.extensions import db

# DESIGN §1's wording; users, companies and integration settings are all admin work.
NO_ADMIN_RIGHTS = ("You don't have permission to maintain users; contact your account "
                   "administrator. Users, companies and integration settings are maintained by "
                   "account admins.")


def admin_required(view):
    """Logged in and ``account-admin``; anyone else gets the 403 page that says who to ask."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, description=NO_ADMIN_RIGHTS)
        return view(*args, **kwargs)

    return wrapped


def get_scoped_or_404(model, object_id: int):
    """Load ``model`` by id within the current user's account; other accounts' ids are a 404."""
    obj = db.session.scalar(
        select(model).where(model.id == object_id, model.account_id == current_user.account_id)
    )
    if obj is None:
        abort(404)
    return obj


def current_actor():
    """The logged-in user as a plain object, for services that record who did what."""
    return current_user._get_current_object()


def client_ip() -> str:
    return request.remote_addr or ""


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
