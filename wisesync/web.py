"""Response headers, proxy handling and template helpers shared by every page."""
from __future__ import annotations

from flask import Flask, Request, current_app, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import RequestEntityTooLarge, SecurityError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.wsgi import LimitedStream
from werkzeug.middleware.proxy_fix import ProxyFix


def init_web(app: Flask) -> None:
    hops = app.config["WISESYNC_PROXY_FIX"]
    if hops:
        # Behind a TLS proxy: trust X-Forwarded-For/Proto/Host from that many hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_trusted_hosts(app)
    init_body_limits(app)

    origins = " ".join(app.config["WISESYNC_EMBED_ORIGINS"])
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'self'; object-src 'none'; "
        f"frame-ancestors 'self'{' ' + origins if origins else ''}"
    )

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not origins:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and _logged_in():
            # A logged-in page (names, settings, audit) must not stay in a shared browser's or
            # proxy's cache after logout.
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    def _logged_in() -> bool:
        from flask import session
        from flask_login import current_user

        return "_user_id" in session or bool(current_user and current_user.is_authenticated)

    from wisesync.crypto import secret_state

    app.jinja_env.filters["secret_state"] = secret_state

    @app.template_filter("text")
    def text(value) -> Markup:
        """Escape for an HTML text node but keep apostrophes readable ("don't", not "don&#39;t").

        Only for element content: an apostrophe cannot end anything there. Never in attributes."""
        return Markup(str(escape(value)).replace("&#39;", "'"))  # nosec B704

    @app.context_processor
    def globals_for_templates():
        from flask_login import current_user

        return {"me": current_user}


def init_trusted_hosts(app: Flask) -> None:
    """With ``TRUSTED_HOSTS`` (set from ``WISESYNC_PUBLIC_URL``), another ``Host`` is a 400.

    Flask notes the refused host as the routing error but still runs the ``before_request``
    hooks first, and those (CSRF, the QLink password step) build URLs, which cannot be done
    for a request without a URL adapter: raise it before any of them, and answer with a page
    that needs no URL building either.
    """

    def refuse_untrusted_host():
        if isinstance(request.routing_exception, SecurityError):
            raise request.routing_exception

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_untrusted_host)

    @app.errorhandler(SecurityError)
    def untrusted_host(exc):
        public = escape(app.config.get("WISESYNC_PUBLIC_URL") or "")
        where = (f'<p>Open Wise-Sync at its own address: <a href="{public}/">{public}</a>.</p>'
                 if public else "")
        page = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Wrong address"
                "</title><h1>This is not Wise-Sync's address</h1><p>The request named a host this "
                f"server does not answer for, so it was refused.</p>{where}</html>")
        return page, 400, {"Content-Type": "text/html; charset=utf-8"}


def widen_form_action(response, origin: str | None):
    """Let this page's forms lead to ``origin`` (an OAuth sign-in page: browsers apply CSP
    ``form-action`` to the redirect a form POST answers with, too). Returns ``response``."""
    policy = response.headers.get("Content-Security-Policy", "")
    if origin and "form-action 'self'" in policy:
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action 'self' {origin}", 1)
    return response


def allow_large_body(max_bytes: int):
    """Let one view take a body up to ``max_bytes`` (an upload) instead of MAX_CONTENT_LENGTH.

    Put it under the route decorator. The limit is known before anything reads the body (the
    CSRF check and the NUL check read the form ahead of the view), because the request looks
    its limit up on the view the URL matched.
    """

    def mark(view):
        view.max_content_length = int(max_bytes)
        return view

    return mark


# Ids are PostgreSQL ``integer`` columns: a larger number cannot name a row, and sending one to
# the database is an error there (and above 2**63 on SQLite), not an empty result.
MAX_ID = 2**31 - 1


class BoundedArgs(ImmutableMultiDict):
    """Query/form values where ``get(..., type=int)`` outside the database's integer range
    gives the default, as a value that is not a number does (``?page=99999999999999999999``)."""

    def get(self, key, default=None, type=None):  # noqa: A002 — MultiDict's own signature
        value = super().get(key, default=default, type=type)
        if type is int and isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            return default
        return value


def _digits_up_to(limit: int) -> str:
    """A regex for the decimal numbers 0..``limit`` (leading zeros allowed, as ``int`` does)."""
    text = str(limit)
    options = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            options.append(text[:i] + (f"[0-{int(digit) - 1}]" if digit != "1" else "0")
                           + (rf"\d{{{rest}}}" if rest else ""))
    options.append(text)
    return "0*(?:" + "|".join(options) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that only matches numbers up to :data:`MAX_ID`, so a larger one is a 404 for
    every method (a value refused after matching would make Werkzeug answer 405 on a path
    that also has a rule for another method)."""

    regex = _digits_up_to(MAX_ID)

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ID if max is None else max, signed=signed)
        if signed:
            self.regex = "-?" + type(self).regex


def init_url_converters(app: Flask) -> None:
    """Before any blueprint registers: every ``<int:…>`` route stops at :data:`MAX_ID`."""
    app.url_map.converters["int"] = BoundedIntConverter


class PortalRequest(Request):
    """Flask's request, with the body limit of the matched view (see :func:`allow_large_body`)
    and integer arguments bounded to what the database holds (:class:`BoundedArgs`)."""

    parameter_storage_class = BoundedArgs

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if current_app and self.url_rule is not None:
            view = current_app.view_functions.get(self.url_rule.endpoint)
            limit = getattr(view, "max_content_length", None)
            if isinstance(limit, int):
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # A chunked body (no Content-Length) is cut at the limit, and Werkzeug then parses what
        # it read as if that were all: a form silently truncated, a value half-saved. Refuse it.
        stream = self.__dict__.get("stream")
        if isinstance(stream, LimitedStream) and stream._limit_is_max and stream.is_exhausted:
            raise RequestEntityTooLarge()


def init_body_limits(app: Flask) -> None:
    app.request_class = PortalRequest

    @app.errorhandler(413)
    def too_large(exc):
        limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"] or 0
        message = (f"What was sent is larger than Wise-Sync accepts here (at most {limit // 1024} KB). "
                   "Go back and send the form again without the pasted or attached extra.")
        if request.accept_mimetypes.best == "application/json":
            return {"error": "Request too large", "message": message}, 413
        return render_template("errors/error.html", code=413, title="That was too large to accept",
                               message=message), 413
