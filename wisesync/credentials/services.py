"""Rules for per-user PSA credentials: who may edit them, saving, and what the page shows.

Connectivity tests live in :mod:`.connectivity`, key rotation in :mod:`.rotation`.

Services take explicit arguments, never touch ``request``/``session``/``flash``, and commit
once per use case. Secrets are encrypted before they reach the session and are never put in
an exception, an audit detail or a log line.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from wisesync.audit.services import record
from wisesync.credentials.models import KINDS, PsaCredential
from wisesync import tested_values
from wisesync.crypto import SecretUnreadable, decrypt, encrypt, secret_state
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.report import ConnectionReport
from wisesync.service_errors import FieldError

RACE = "Another change to these credentials was saved at the same moment; reload the page and try again."


class SettingsMissing(Exception):
    """The account's Integration Settings lack what a per-user test needs (``fields`` names them)."""

    def __init__(self, fields: list[str]):
        super().__init__(", ".join(fields))
        self.fields = fields


# -- who and what ----------------------------------------------------------------------------

def applies(account, kind: str) -> bool:
    """Whether ``kind`` is a section of this account's PSA type."""
    return kind in KINDS and account.psa_type == KINDS[kind][1]


def may_manage(viewer, user) -> bool:
    """Account admins manage every user of their account; a ``user`` only their own credentials.

    The member password is the person's own ConnectWise login, so people may keep it current
    themselves instead of telling it to an admin.
    """
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.account_id != user.account_id:
        return False
    return viewer.is_admin or viewer.id == user.id


def get_credential(user, kind: str) -> PsaCredential | None:
    return db.session.scalar(select(PsaCredential).where(PsaCredential.user_id == user.id,
                                                         PsaCredential.kind == kind))


def primary_api_user(account_id: int):
    """The user holding the account's primary API account, or ``None``."""
    cred = db.session.scalar(select(PsaCredential).where(PsaCredential.account_id == account_id,
                                                         PsaCredential.is_primary.is_(True)))
    return cred.user if cred else None


def integration_settings(account_id: int):
    """The account's Integration Settings (company ID, site, integration code...), or ``None``."""
    from wisesync.integrations.clients import settings_for

    return settings_for(account_id)


# -- saving ------------------------------------------------------------------------------------

def credential_for_update(user, kind: str) -> PsaCredential:
    cred = get_credential(user, kind)
    if cred is None:
        cred = PsaCredential(account_id=user.account_id, user_id=user.id, kind=kind, login="",
                             is_primary=False)
    return cred


def _apply(cred: PsaCredential, login: str, secret: str | None, labels: tuple[str, str]) -> list[str]:
    changed = []
    if (login or "") != (cred.login or ""):
        cred.login = login or ""
        changed.append(labels[0])
    if secret:  # blank means "unchanged"
        from wisesync.integrations.clients import secret_destination

        cred.secret_enc = encrypt(secret)
        cred.secret_set_at = utcnow()
        # Bound to where the account's settings send it now; a later site change asks again.
        cred.secret_host = secret_destination(cred.kind, integration_settings(cred.account_id))
        changed.append(labels[1])
    # The last test stays: its seal (see tested_seal) shows it as "tested with the previous ...".
    return changed


def _commit(user, cred: PsaCredential, changed: list[str], *, actor, ip: str, field: str) -> list[str]:
    if not changed:
        db.session.rollback()
        return []
    db.session.add(cred)
    record("psa_credentials.set", account_id=user.account_id, actor=actor, target=user,
           detail=f"{KINDS[cred.kind][0]}: {', '.join(changed)} changed", ip=ip)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise FieldError(field, RACE) from None
    except OperationalError as exc:  # SQLite gave up waiting for a concurrent writer
        db.session.rollback()
        if "locked" not in str(exc.orig).lower():
            raise
        raise FieldError(field, RACE) from None
    return changed


def save_member(user, *, member_id: str, password: str | None, actor, ip: str = "") -> list[str]:
    """ConnectWise Member: member ID (blank clears it) and password (blank keeps it).

    Returns the names of the fields that changed (empty when nothing did).
    """
    cred = credential_for_update(user, "connectwise")
    changed = _apply(cred, member_id, password, ("member ID", "member password"))
    return _commit(user, cred, changed, actor=actor, ip=ip, field="cw_member_id")


def save_autotask(user, *, username: str, password: str | None, actor, ip: str = "") -> list[str]:
    """Autotask user account: username (blank clears it) and password (blank keeps it)."""
    cred = credential_for_update(user, "autotask")
    changed = _apply(cred, (username or "").lower(), password, ("username", "password"))
    return _commit(user, cred, changed, actor=actor, ip=ip, field="at_username")


def save_api_member(user, *, public_key: str, private_key: str | None, is_primary: bool, actor,
                    ip: str = "") -> list[str]:
    """ConnectWise API Member. Ticking *primary* clears it on the account's other user in the
    same transaction; the partial unique index turns a concurrent save into a
    :class:`FieldError` on ``cw_is_primary`` instead of two primaries."""
    cred = credential_for_update(user, "connectwise-api")
    changed = _apply(cred, public_key, private_key, ("API public key", "API private key"))
    if bool(is_primary) != bool(cred.is_primary):
        if is_primary:
            previous = primary_api_user(user.account_id)
            # Clear first, then set: the index never sees two primaries, even mid-flush.
            db.session.execute(
                update(PsaCredential)
                .where(PsaCredential.account_id == user.account_id, PsaCredential.is_primary.is_(True),
                       PsaCredential.user_id != user.id)
                .values(is_primary=False)
                .execution_options(synchronize_session="fetch"))
            changed.append("primary API account" + (f" (moved from {previous.full_name})"
                                                    if previous is not None and previous.id != user.id else ""))
        else:
            changed.append("primary API account cleared")
        cred.is_primary = bool(is_primary)
    try:
        return _commit(user, cred, changed, actor=actor, ip=ip, field="cw_is_primary")
    except FieldError:
        if not is_primary:
            raise
        raise FieldError("cw_is_primary", "Another user was made the primary API account at the same "
                         "moment; reload the page to see who, and try again.") from None


# -- what the page shows -----------------------------------------------------------------------

def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return ""
    seconds = max(0, int(((now or utcnow()) - when).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"on {when.day} {when:%b %Y}"


def settings_missing(account, kind: str) -> list[str]:
    """The Integration Settings fields this account still lacks for ``kind``'s test."""
    settings = integration_settings(account.id)
    needed = {"connectwise": {"cw_company_id": "Company ID", "cw_site": "site"},
              "connectwise-api": {"cw_company_id": "Company ID", "cw_site": "site", "cw_client_id": "client ID"},
              "autotask": {"at_integration_code": "integration code"}}[kind]
    return [label for attr, label in needed.items() if not (getattr(settings, attr, "") or "").strip()]


# What a test of ``kind`` reads: the user's login and secret, and these Integration Settings.
SETTINGS_TESTED = {
    "connectwise": {"cw_company_id": "Company ID", "cw_site": "site"},
    "connectwise-api": {"cw_company_id": "Company ID", "cw_site": "site", "cw_client_id": "client ID"},
    "autotask": {"at_integration_code": "integration code", "at_effective_zone": "zone"},
}
CREDENTIAL_LABELS = {
    "connectwise": ("member ID", "member password"),
    "connectwise-api": ("API public key", "API private key"),
    "autotask": ("Autotask username", "Autotask password"),
}


def _tested_values(user, kind: str, cred: PsaCredential | None) -> tuple[dict, dict]:
    settings = integration_settings(user.account_id)
    public = {"login": cred.login if cred else ""}
    public.update({attr: getattr(settings, attr, "") or "" for attr in SETTINGS_TESTED[kind]})
    secret = None
    if cred is not None and cred.secret_enc:
        try:
            secret = decrypt(cred.secret_enc)
        except SecretUnreadable:  # stands for this very token: a test of it stays current until it changes
            secret = "\0unreadable\0" + cred.secret_enc
    return public, {"secret": secret}


def tested_seal(user, kind: str) -> dict:
    """The seal of the values a test of ``kind`` for ``user`` reads right now (kept beside its result)."""
    public, secrets = _tested_values(user, kind, get_credential(user, kind))
    return tested_values.seal(public, secrets)


def stale_reason(user, kind: str, cred: PsaCredential | None) -> str:
    """Why the stored result of ``cred`` no longer describes the current values ("" when it does)."""
    login_label, secret_label = CREDENTIAL_LABELS[kind]
    labels = {"login": login_label, "secret": secret_label, **SETTINGS_TESTED[kind]}
    public, secrets = _tested_values(user, kind, cred)
    sealed = (cred.last_test or {}).get("tested_with") if cred is not None else None
    changes = tested_values.changed(sealed, public, secrets, labels)
    if changes is None:
        return "It was tested before Wise-Sync kept track of the values a test used."
    if not changes:
        return ""
    own = [c for c in changes if c in (login_label, secret_label)]
    account = [c for c in changes if c not in own]
    parts = []
    if own:
        parts.append("with the previous " + " and ".join(own))
    if account:
        parts.append("before the account's Integration Settings changed (" + ", ".join(account) + ")")
    return "It was tested " + ", and ".join(parts) + "."


def view_state(user, kind: str) -> dict:
    """Plain values for a section: stored public value, secret state, primary, last test.

    ``report`` is the last test only while it is of the values as they are now; a result of
    other values (another password, settings saved since) moves to ``stale_report`` with
    ``stale_reason`` saying what changed, so it is never shown as current.
    """
    cred = get_credential(user, kind)
    report = ConnectionReport.from_dict(cred.last_test) if cred is not None and cred.last_test else None
    stale = stale_reason(user, kind, cred) if report is not None else ""
    state = {
        "kind": kind,
        "title": KINDS[kind][0],
        "login": cred.login if cred else "",
        "secret_set": bool(cred and cred.secret_enc),
        "secret_state": secret_state(cred.secret_set_at if cred and cred.secret_enc else None),
        "is_primary": bool(cred and cred.is_primary),
        "report": None if stale else report,
        "stale_report": report if stale else None,
        "stale_reason": stale,
        "tested_at": cred.last_tested_at if cred else None,
        "tested_ago": ago(cred.last_tested_at) if cred else "",
        "settings_missing": settings_missing(user.account, kind),
    }
    if kind == "connectwise-api":
        holder = primary_api_user(user.account_id)
        state["primary_user"] = holder.full_name if holder is not None and holder.id != user.id else ""
    return state
