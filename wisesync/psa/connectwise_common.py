"""ConnectWise bits shared by the REST and SOAP clients: where a site lives.

No Flask here (``wisesync.psa`` is plain Python).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from wisesync.psa.errors import PsaConfigError
from wisesync.psa.http import valid_hostname

# ConnectWise cloud regions. Note "au" and "aus" are two different hosts.
CLOUD_SITES = {
    "na": "api-na.myconnectwise.net",
    "eu": "api-eu.myconnectwise.net",
    "au": "api-au.myconnectwise.net",
    "aus": "api-aus.myconnectwise.net",
    "za": "api-za.myconnectwise.net",
}

_SITE_FIX = ("Enter a region code (na, eu, au, aus, za) for ConnectWise cloud, or your own "
             "server's host name, like psa.example.com, for self-hosted ConnectWise.")


def resolve_site(site: str) -> str:
    """Turn what a person typed for "site" into a base URL without a trailing slash.

    - a region code ``na``/``eu``/``au``/``aus``/``za`` (any case) → ``https://api-<code>.myconnectwise.net``;
    - a host (``psa.example.com`` or ``psa.example.com:8443``) → ``https://<host>``;
    - a full URL keeps its scheme and port (``http://127.0.0.1:8081``); any path such as
      ``/v4_6_release/apis/3.0`` or ``/login`` is dropped, since the codebase is discovered.

    Whether ``http`` or a private address may actually be called is the outbound guard's
    decision (:func:`wisesync.psa.http.check_url`), not this function's.

    Raises :class:`PsaConfigError` when ``site`` is empty or not a host name.
    """
    value = (site or "").strip()
    if not value:
        raise PsaConfigError("The ConnectWise site is empty.", _SITE_FIX)
    code = value.lower()
    if code in CLOUD_SITES:
        return f"https://{CLOUD_SITES[code]}"
    if code.endswith(".myconnectwise.net") and code.split(".", 1)[0] in {"na", "eu", "au", "aus", "za"}:
        # People paste the web UI host (na.myconnectwise.net); the API lives on api-<region>.
        return f"https://{CLOUD_SITES[code.split('.', 1)[0]]}"
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise PsaConfigError(f"{site!r} is not a ConnectWise site or host name.", _SITE_FIX)
    try:
        port = parts.port
    except ValueError:
        raise PsaConfigError(f"{site!r} has an invalid port number.", _SITE_FIX) from None
    host = parts.hostname
    if not valid_hostname(host):
        raise PsaConfigError(f"{site!r} is not a ConnectWise site or host name.", _SITE_FIX)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
