"""Links that leave the request: mail, QLinks shown to copy, OAuth redirect URIs.

Such a link is read later, somewhere else (a mailbox, a ConnectWise menu entry, Xero's list of
registered redirect URIs), so it must not come from whatever ``Host`` header the request that
built it carried: a reset link built from ``Host: evil.example`` hands the token to that host.

With ``WISESYNC_PUBLIC_URL`` set (``https://wisesync.example.com`` or with a path prefix,
``https://example.com/wisesync``) every such link is built from it, inside a request or not
(a background job can mail a link too). Without it the link comes from the request as Flask
sees it, where ``X-Forwarded-Host`` only counts behind ``WISESYNC_PROXY_FIX``;
``scripts/serve --production`` warns when it is unset.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


def public_base() -> str:
    """``WISESYNC_PUBLIC_URL`` without a trailing slash, or ``""`` when it is not set."""
    return (current_app.config.get("WISESYNC_PUBLIC_URL") or "").rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` for a link that leaves the request.

    ``values`` are the endpoint's arguments as for :func:`flask.url_for` (``_anchor`` too).
    Built from ``WISESYNC_PUBLIC_URL`` when it is set; otherwise ``url_for(..., _external=True)``,
    which needs a request (or ``SERVER_NAME``).
    """
    base = public_base()
    if not base:
        return url_for(endpoint, _external=True, **values)
    if endpoint.startswith(".") and has_request_context():
        endpoint = (request.blueprint or "") + endpoint
    anchor = values.pop("_anchor", None)
    values.pop("_external", None)
    values.pop("_scheme", None)
    app = current_app._get_current_object()
    parts = urlsplit(base)
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    url = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None},
                        force_external=True)
    if anchor is not None:
        from urllib.parse import quote

        url += "#" + quote(anchor, safe="%!#$&'()*+,/:;=?@")
    return url
