"""Which ConnectWise identity a sync uses (DESIGN §10.3), and the client built from it.

In order: the syncing person's own ConnectWise API Member keys, else the account's primary API
account, else the Integration Settings keys. When the person also has a ConnectWise Member ID,
the run asks ConnectWise for an impersonation token for that member so ConnectWise records who
posted. A scheduled run has no person: primary API account, else Integration Settings.

:func:`choose` only reads what is stored (the review page names the identity without
decrypting anything); :func:`client_for` builds the client the run and the review call.
"""
from __future__ import annotations

from dataclasses import dataclass

from wisesync.credentials.services import get_credential, primary_api_user
from wisesync.integrations.clients import cw_rest_client, reveal, reveal_user_secret, settings_for
from wisesync.psa.errors import PsaConfigError

SETTINGS_FIX = ("An account administrator fills in the ConnectWise company ID, site, keys and client "
                "ID under Integrations, then uses Test and Save.")


@dataclass(frozen=True)
class Identity:
    source: str  # "own" | "primary" | "settings"
    label: str  # in words, for the page and the run record
    credential: object = None  # the PsaCredential of "own"/"primary"
    member_id: str = ""  # impersonate this ConnectWise member when set


def _usable(cred) -> bool:
    return cred is not None and bool(cred.login) and bool(cred.secret_enc)


AUTOTASK_LABEL = "the Autotask API user in Integration Settings"


def choose(account, user=None) -> Identity:
    """The identity a sync by ``user`` (``None``: a scheduled run) would use, without secrets.
    An Autotask account always reads and writes as its API user in Integration Settings (the
    PATCH that marks an invoice has no per-person form in the subset)."""
    if getattr(account, "psa_type", "connectwise") == "autotask":
        return Identity("settings", AUTOTASK_LABEL)
    member = get_credential(user, "connectwise") if user is not None else None
    member_id = member.login if member is not None and member.login else ""
    own = get_credential(user, "connectwise-api") if user is not None else None
    if _usable(own):
        identity = Identity("own", f"your own ConnectWise API Member keys (public key {own.login})", own)
    else:
        holder = primary_api_user(account.id)
        primary = get_credential(holder, "connectwise-api") if holder is not None else None
        if _usable(primary):
            whose = "yours" if user is not None and holder.id == user.id else holder.full_name
            identity = Identity("primary", f"the primary API account ({whose}, public key {primary.login})",
                                primary)
        else:
            identity = Identity("settings", "the API keys in Integration Settings")
    if member_id:
        identity = Identity(identity.source, f"{identity.label}, posting as ConnectWise member {member_id}",
                            identity.credential, member_id)
    return identity


def rest_client(account, identity: Identity, *, impersonate: bool = True, session=None):
    """A :class:`ConnectWiseRestClient` for ``identity``, impersonating its member when set and
    ``impersonate`` (the review only reads, so it skips the token request).

    Raises :class:`PsaConfigError` when Integration Settings lack the company ID, site or client
    ID, or a stored key cannot be decrypted; the impersonation request may raise any PsaError.
    """
    settings = settings_for(account.id)
    if identity.source == "settings":
        if settings is None or not settings.cw_configured:
            raise PsaConfigError("The ConnectWise integration settings are not complete.", SETTINGS_FIX)
        public, private = settings.cw_public_key, reveal(settings.cw_private_key_enc, "ConnectWise private key")
    else:
        if settings is None or not (settings.cw_site and settings.cw_company_id and settings.cw_client_id):
            raise PsaConfigError("The ConnectWise company ID, site or client ID is not set in Integration "
                                 "Settings.", SETTINGS_FIX)
        public = identity.credential.login
        # Only to the site the key was saved for (a changed site asks the person for it again).
        private = reveal_user_secret(identity.credential, settings, "ConnectWise API private key")
    client = cw_rest_client(settings.cw_site, settings.cw_company_id, public, private,
                            settings.cw_client_id, session=session)
    if identity.member_id and impersonate:
        client = _impersonating(client, identity.member_id)
    return client


def _impersonating(client, member_id: str):
    """The same API, signed with the member's impersonation token, so ConnectWise records the
    person who posted (DESIGN §10.3)."""
    return client.as_member(client.member_token(member_id), member_id)
