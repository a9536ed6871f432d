"""Error pages. Every error a person can meet gets a page that says what to do."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be used",
    403: "You don't have permission",
    404: "Not found",
    405: "Not allowed",
    429: "Too many attempts",
    500: "Something went wrong",
}


def _render(code: int, message: str):
    if request.accept_mimetypes.best == "application/json":
        return {"error": TITLES.get(code, "Error"), "message": message}, code
    return render_template("errors/error.html", code=code, title=TITLES.get(code, "Error"),
                           message=message), code


def _retry_seconds() -> int:
    """Seconds until the limit that was hit lets the next request through (Flask-Limiter)."""
    import time

    from wisesync.extensions import limiter

    try:
        window = limiter.current_limit
        return max(1, int(window.reset_at - time.time())) if window else 60
    except Exception:  # storage unreachable: say "a minute" rather than fail the error page
        return 60


def too_many(exc):
    seconds = _retry_seconds()
    wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    message = (f"Too many attempts from here in a short time, so Wise-Sync is pausing this "
               f"action. Try again in {wait}.")
    if request.accept_mimetypes.best == "application/json":
        return {"error": TITLES[429], "message": message, "retry_after": seconds}, 429
    return render_template("errors/429.html", code=429, title=TITLES[429], message=message,
                           seconds=seconds), 429, {"Retry-After": str(seconds)}


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render(400, "The form expired or was sent from another page. Go back, reload the "
                            "page and send it again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 429:
            return too_many(exc)
        message = exc.description if exc.code in (400, 403) else {
            404: "There is nothing here. It may have been removed, or the link is wrong.",
            405: "That action is not available here.",
        }.get(exc.code, exc.description)
        return _render(exc.code or 500, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500, "The error has been logged. Try again; if it keeps happening, tell "
                            "your Wise-Sync administrator the time it happened.")
