"""The one place that decrypts stored PSA secrets and builds PSA clients (CONVENTIONS §6).

Everything else (settings pages, pulls, per-user credential tests) asks here for a client,
so the outbound policy (``WISESYNC_ALLOW_LOCAL_PSA``) and the Autotask zone lookup URL are
applied the same way everywhere. Needs an app context (it reads ``current_app.config``).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from wisesync.crypto import SecretUnreadable, decrypt
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings
from wisesync.psa.autotask_rest import AutotaskRestClient
from wisesync.psa.connectwise_common import resolve_site
from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.psa.errors import PsaConfigError
from wisesync.psa.http import OutboundPolicy

NOT_CONFIGURED_FIX = "An account administrator fills them in under Integrations, then uses Test and Save."


def outbound_policy() -> OutboundPolicy:
    """The policy every PSA client gets: local/http hosts only when WISESYNC_ALLOW_LOCAL_PSA."""
    return OutboundPolicy(allow_local=bool(current_app.config["WISESYNC_ALLOW_LOCAL_PSA"]))


def zone_lookup_url() -> str:
    """Where Autotask zones are looked up (the simulator's in tests and the demo)."""
    return current_app.config["WISESYNC_AUTOTASK_ZONE_LOOKUP_URL"]


def settings_for(account_id: int) -> IntegrationSettings | None:
    return db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))


def reveal(token: str | None, what: str) -> str:
    """Decrypt a stored secret; an unreadable one becomes a :class:`PsaConfigError` that says
    what to do (never the ciphertext)."""
    if not token:
        raise PsaConfigError(f"No {what} is stored.", f"Enter the {what} and save it again.")
    try:
        return decrypt(token)
    except SecretUnreadable as exc:
        raise PsaConfigError(str(exc), f"Or enter the {what} again and save.") from None


# A per-user Autotask secret sent through Autotask's own zone lookup (WISESYNC_AUTOTASK_ZONE_LOOKUP_URL,
# a setting, not something an admin types in the portal) to the zone it names.
AUTOTASK_LOOKUP = "autotask-zone-lookup"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` in lower case (``https://`` when no scheme), or ``""``."""
    value = (url or "").strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value if "://" in value else "https://" + value)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host.lower()}" + (f":{port}" if port else "")


def cw_destination(site: str) -> str:
    """Where ConnectWise secrets go for ``site`` (a region code, host or URL), or ``""``."""
    try:
        return resolve_site(site).lower() if (site or "").strip() else ""
    except PsaConfigError:
        return ""


def secret_destination(kind: str, settings) -> str:
    """The address a secret of ``kind`` is sent to under these Integration Settings.

    ConnectWise kinds (``connectwise``, ``connectwise-api``): the site's origin. Autotask: the
    zone override's origin, or :data:`AUTOTASK_LOOKUP` when the zone comes from Autotask's
    own lookup. A stored secret is only ever sent where it was saved for (issue 11).
    """
    if kind == "autotask":
        zone = (getattr(settings, "at_zone_url", "") or "").strip()
        return origin(zone) if zone else AUTOTASK_LOOKUP
    return cw_destination(getattr(settings, "cw_site", "") or "")


def reveal_user_secret(cred, settings, what: str) -> str:
    """Decrypt a user's stored PSA secret, but only for the address it was saved for.

    Raises :class:`PsaConfigError` when Integration Settings now point elsewhere (the admin
    changed the site or zone since): the person enters the secret again, and nothing stored
    travels to a host it was not given for. Also for an unreadable secret, as :func:`reveal`.
    """
    now = secret_destination(cred.kind, settings)
    if not cred.secret_host or cred.secret_host != now:
        where = (lambda d: "Autotask's zone lookup" if d == AUTOTASK_LOOKUP else (d or "no address"))
        raise PsaConfigError(
            f"The {what} was saved for {where(cred.secret_host)}, but Integration Settings now point "
            f"at {where(now)}; Wise-Sync only sends a stored secret to the address it was saved for.",
            f"Enter the {what} again and save it; it will then be used with {where(now)}.")
    return reveal(cred.secret_enc, what)


def cw_rest_client(site: str, company_id: str, public_key: str, private_key: str, client_id: str,
                   *, session=None) -> ConnectWiseRestClient:
    """A ConnectWise REST client from plain values. Raises :class:`PsaConfigError` on a missing
    value or a site that is not a host."""
    return ConnectWiseRestClient(site, company_id, public_key, private_key, client_id,
                                 session=session, policy=outbound_policy())


def autotask_client(username: str, secret: str, integration_code: str, *, zone_url: str | None = None,
                    session=None) -> AutotaskRestClient:
    """An Autotask client from plain values; ``zone_url`` empty means "look the zone up"."""
    return AutotaskRestClient(username, secret, integration_code, zone_url=zone_url or None,
                              zone_lookup_url=zone_lookup_url(), session=session,
                              policy=outbound_policy())


def account_cw_rest_client(account, *, session=None) -> ConnectWiseRestClient:
    """The account's ConnectWise REST client from its saved Integration Settings.

    Raises :class:`PsaConfigError` when the settings are missing or a secret is unreadable.
    """
    settings = settings_for(account.id)
    if settings is None or not settings.cw_configured:
        raise PsaConfigError("The ConnectWise integration settings are not complete.", NOT_CONFIGURED_FIX)
    return cw_rest_client(settings.cw_site, settings.cw_company_id, settings.cw_public_key,
                          reveal(settings.cw_private_key_enc, "ConnectWise private key"),
                          settings.cw_client_id, session=session)


def account_autotask_client(account, *, session=None) -> AutotaskRestClient:
    """The account's Autotask API-user client from its saved Integration Settings.

    Raises :class:`PsaConfigError` when the settings are missing or a secret is unreadable.
    """
    settings = settings_for(account.id)
    if settings is None or not settings.at_configured:
        raise PsaConfigError("The Autotask integration settings are not complete.", NOT_CONFIGURED_FIX)
    return autotask_client(settings.at_username, reveal(settings.at_secret_enc, "Autotask secret"),
                           settings.at_integration_code, zone_url=settings.at_effective_zone,
                           session=session)
