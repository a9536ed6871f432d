"""Throttling with Flask-Limiter, applied by endpoint at registration time.

The security blueprint registers last (``OPTIONAL_BLUEPRINTS``), so every other feature's view
is in ``app.view_functions`` by then and can be wrapped without touching its file. Storage is
``RATELIMIT_STORAGE_URI``: memory per process by default, Redis when ``REDIS_URL`` is set (which
is what makes limits hold across several gunicorn workers).

Limits come from config (``WISESYNC_LIMIT_*``), read per request by small named callables; the
limiter keys its registry by value, so these must be module-level objects (the test suite
builds many apps on one limiter).
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from wisesync.extensions import limiter


def user_or_ip() -> str:
    """Logged-in work is limited per user (one office shares an IP), anonymous work per IP."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _setting(name: str):
    def value() -> str:
        return current_app.config[name]

    value.__name__ = f"limit_{name.lower()}"
    return value


LOGIN = _setting("WISESYNC_LIMIT_LOGIN")
VERIFY = _setting("WISESYNC_LIMIT_VERIFY")
RESET = _setting("WISESYNC_LIMIT_RESET")
QLINK = _setting("WISESYNC_LIMIT_QLINK")
CONNECTIVITY = _setting("WISESYNC_LIMIT_CONNECTIVITY")

def failed(response) -> bool:
    """Only refused attempts count: a wrong password (400) or a bad token (404).

    Guessing is what the limit stops; an office behind one IP logging in all morning, or
    opening a good QLink from the ConnectWise menu again and again, must never be locked out.
    """
    return response.status_code in (400, 401, 403, 404)


# endpoint → (limit, key function, methods, count only failures).
FIXED = {
    "auth.login": (LOGIN, get_remote_address, ["POST"], True),
    "security.verify": (VERIFY, get_remote_address, ["POST"], True),
    "security.verify_resend": (VERIFY, get_remote_address, ["POST"], False),
    "security.reset_request": (RESET, get_remote_address, ["POST"], False),
    "security.reset_password": (RESET, get_remote_address, ["POST"], False),
    # Other places that check a password: the QLink password step and the own-password change.
    "qlink.reauth": (LOGIN, get_remote_address, ["POST"], True),
    "auth.profile": (LOGIN, user_or_ip, ["POST"], True),
}


def limited_endpoints(app: Flask) -> dict[str, tuple]:
    """FIXED plus QLinks (``/q/…``, ``/a/…``) and every connectivity test and integration POST."""
    found = {e: spec for e, spec in FIXED.items() if e in app.view_functions}
    for rule in app.url_map.iter_rules():
        endpoint, methods = rule.endpoint, rule.methods or set()
        if endpoint in found:
            continue
        if rule.rule.startswith(("/q/", "/a/")):
            found[endpoint] = (QLINK, get_remote_address, None, True)
        elif "POST" in methods and (rule.rule.endswith("/test") or endpoint.startswith("integrations.")):
            # Each test or save calls the PSA: every one counts.
            found[endpoint] = (CONNECTIVITY, user_or_ip, ["POST"], False)
    return found


def apply_limits(app: Flask) -> None:
    for endpoint, (limit, key, methods, failures_only) in limited_endpoints(app).items():
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(
            limit, key_func=key, methods=methods, deduct_when=failed if failures_only else None)(view)
