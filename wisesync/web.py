"""Response headers, proxy handling and template helpers shared by every page."""
from __future__ import annotations

from flask import Flask, request
from markupsafe import Markup, escape
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix


def init_web(app: Flask) -> None:
    hops = app.config["WISESYNC_PROXY_FIX"]
    if hops:
        # Behind a TLS proxy: trust X-Forwarded-For/Proto/Host from that many hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_trusted_hosts(app)

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
        return response

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
