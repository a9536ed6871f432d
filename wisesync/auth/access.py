"""Role and account checks used by every view."""
from __future__ import annotations

import re
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from wisesync.extensions import db

# DESIGN §1's wording, naming what the refused page was for: endpoint (or its prefix) → what.
ADMIN_WORK = (
    ("users.payment_link", "manage Wise-Pay links"),
    ("users.", "maintain users"),
    ("credentials.", "maintain other people's PSA credentials"),
    ("companies.xero", "connect companies to Xero"),
    ("xero.", "connect companies to Xero"),
    ("companies.", "maintain companies"),
    ("integrations.", "change the integration settings"),
    ("qlink.generate_account", "manage the Account QLink"),
    ("qlink.revoke_account", "manage the Account QLink"),
    ("qlink.", "manage QLinks"),
    ("security.audit", "read the audit log"),
    ("security.account", "change the account settings"),
)
NO_ADMIN_RIGHTS = ("You don't have permission to {what}; contact your account administrator. Users, "
                   "companies, integration settings, QLinks, the audit log and the account settings are "
                   "maintained by account admins.")


def no_admin_rights(endpoint: str | None) -> str:
    """The 403 text for a non-admin on ``endpoint``: what the page was for, and who to ask."""
    what = next((words for prefix, words in ADMIN_WORK if (endpoint or "").startswith(prefix)),
                "use this page")
    return NO_ADMIN_RIGHTS.format(what=what)


def admin_required(view):
    """Logged in and ``account-admin``; anyone else gets the 403 page that says what the page
    was for and who to ask."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, description=no_admin_rights(request.endpoint))
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


_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c)", re.IGNORECASE)
MAX_NEXT = 2000


def safe_next(target: str | None, default: str) -> str:
    r"""``target`` if it is a path on this site once a browser has read it, else ``default``.

    A browser drops tabs and newlines anywhere in a URL, trims control characters and spaces
    at its ends and reads ``\`` as ``/``; so ``/\t/evil.example`` or ``/\evil.example``
    are ``//evil.example``, another host. The same reading is done here, then the result must
    be an absolute path that is no authority (not ``//…``), with no scheme, after dot-segments
    are resolved (``/..//evil.example``) and after encoded slashes and backslashes are decoded
    (a proxy or the next hop may decode ``%2f``): anything else gives ``default``. Control
    characters and lone surrogates cannot be in a ``Location`` header, so they give
    ``default`` too, never a 500. Used by the login, the QLink password step and the 2FA step.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT:
        return default
    value = "".join(ch for ch in target if ch not in "\t\n\r").strip(_C0_AND_SPACE)
    if not value or any(ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF
                        for ch in value):
        return default
    value = value.replace("\\", "/")
    if not _is_local_path(value):
        return default
    # What a decoding hop would see: %2f / %5c (also double-encoded) must not open an authority.
    decoded = value
    for _ in range(3):
        decoded = _ENCODED_SEPARATOR.sub("/", decoded.replace("%25", "%"))
    if not _is_local_path(decoded):
        return default
    return value


def _is_local_path(value: str) -> bool:
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return False
    return not _remove_dot_segments(parts.path).startswith("//")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as a browser resolves ``/a/../..//x`` (to ``//x``)."""
    decoded = re.sub(r"%2e", ".", path, flags=re.IGNORECASE)
    output: list[str] = []
    for segment in decoded.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if decoded.endswith(("/.", "/..")):
        output.append("")
    return "/" + "/".join(output)
