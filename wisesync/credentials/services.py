"""Rules for per-user PSA credentials: who may edit them, saving, testing, key rotation.

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
from wisesync.crypto import SecretUnreadable, decrypt, encrypt, rotate
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.connectwise_soap import ConnectWiseSoapClient
from wisesync.psa.errors import PsaConfigError
from wisesync.psa.report import Check, ConnectionReport
from wisesync.service_errors import FieldError

# The fixes name Wise-Sync's own fields, never the PSA's "Username is a required field.".
MEMBER_FIX = ("Enter the Member ID and member password in the ConnectWise Member section above, "
              "save, then test again.")
MEMBER_PASSWORD_FIX = ("Enter the member password (twice) in the ConnectWise Member section above, "
                       "save, then test again.")
API_KEYS_FIX = ("Enter the API public key and API private key in the ConnectWise API Member section "
                "above, save, then test again.")
AUTOTASK_FIX = ("Enter the Autotask username and password in the Autotask user account section "
                "above, save, then test again.")
NOT_TRIED = "Not tried: the settings above are incomplete, so Wise-Sync did not contact the PSA."
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


def _integration_settings(account_id: int):
    try:
        from wisesync.integrations.clients import settings_for
    except ImportError:  # the integrations feature is optional
        return None
    return settings_for(account_id)


def _policy():
    from wisesync.integrations.clients import outbound_policy

    return outbound_policy()


# -- saving ------------------------------------------------------------------------------------

def _credential_for_update(user, kind: str) -> PsaCredential:
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
        cred.secret_enc = encrypt(secret)
        cred.secret_set_at = utcnow()
        changed.append(labels[1])
    if changed:  # a result for other credentials would mislead
        cred.last_test, cred.last_tested_at = None, None
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
    cred = _credential_for_update(user, "connectwise")
    changed = _apply(cred, member_id, password, ("member ID", "member password"))
    return _commit(user, cred, changed, actor=actor, ip=ip, field="cw_member_id")


def save_autotask(user, *, username: str, password: str | None, actor, ip: str = "") -> list[str]:
    """Autotask user account: username (blank clears it) and password (blank keeps it)."""
    cred = _credential_for_update(user, "autotask")
    changed = _apply(cred, (username or "").lower(), password, ("username", "password"))
    return _commit(user, cred, changed, actor=actor, ip=ip, field="at_username")


def save_api_member(user, *, public_key: str, private_key: str | None, is_primary: bool, actor,
                    ip: str = "") -> list[str]:
    """ConnectWise API Member. Ticking *primary* clears it on the account's other user in the
    same transaction; the partial unique index turns a concurrent save into a
    :class:`FieldError` on ``cw_is_primary`` instead of two primaries."""
    cred = _credential_for_update(user, "connectwise-api")
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


# -- testing -----------------------------------------------------------------------------------

def _not_tried(checks: list[Check]) -> ConnectionReport:
    return ConnectionReport(checks + [Check("Reached host", False, NOT_TRIED)])


def _secret(cred: PsaCredential, what: str) -> str:
    try:
        return decrypt(cred.secret_enc)
    except SecretUnreadable as exc:
        raise PsaConfigError(str(exc), f"Or enter the {what} again and save.") from None


def _settings_check(settings, needed: dict[str, str], psa: str) -> Check | None:
    missing = [label for attr, label in needed.items() if not (getattr(settings, attr, "") or "").strip()]
    if not missing:
        return None
    return Check("Integration Settings (account)", False,
                 f"The account's {psa} {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                 "not set in Integration Settings.",
                 f"An account administrator fills in the {' and '.join(missing)} under Integrations > "
                 f"{psa} (Integration Settings), then test again.")


def _member_report(user, cred, session=None) -> ConnectionReport:
    checks = []
    if cred is None or not cred.login:
        checks.append(Check("ConnectWise Member (this user)", False,
                            "The Member ID is not set for this user, so there is nothing to log in with.",
                            MEMBER_FIX))
    elif not cred.secret_enc:
        checks.append(Check("ConnectWise Member (this user)", False,
                            f"The member password of member {cred.login} is not set.", MEMBER_PASSWORD_FIX))
    settings = _integration_settings(user.account_id)
    missing = _settings_check(settings, {"cw_company_id": "Company ID", "cw_site": "site"}, "ConnectWise")
    checks += [missing] if missing else []
    if checks:
        return _not_tried(checks)
    try:
        password = _secret(cred, "member password")
    except PsaConfigError as exc:
        return _not_tried([Check("ConnectWise Member (this user)", False, exc.explanation, exc.fix)])
    client = ConnectWiseSoapClient(settings.cw_site, settings.cw_company_id, cred.login, password,
                                   session=session, policy=_policy())
    return client.test_connection()


def _api_report(user, cred, session=None) -> ConnectionReport:
    checks = []
    if cred is None or not cred.login or not cred.secret_enc:
        what = ("API public key and API private key are" if cred is None or not (cred.login or cred.secret_enc)
                else "API public key is" if not cred.login else "API private key is")
        checks.append(Check("ConnectWise API Member (this user)", False, f"The {what} not set for this user.",
                            API_KEYS_FIX))
    settings = _integration_settings(user.account_id)
    missing = _settings_check(settings, {"cw_company_id": "Company ID", "cw_site": "site",
                                         "cw_client_id": "client ID"}, "ConnectWise")
    checks += [missing] if missing else []
    if checks:
        return _not_tried(checks)
    from wisesync.integrations.clients import cw_rest_client

    try:
        client = cw_rest_client(settings.cw_site, settings.cw_company_id, cred.login,
                                _secret(cred, "API private key"), settings.cw_client_id, session=session)
    except PsaConfigError as exc:
        return _not_tried([Check("Settings", False, exc.explanation, exc.fix)])
    return client.test_connection()


def _autotask_report(user, cred, session=None) -> ConnectionReport:
    checks = []
    if cred is None or not cred.login or not cred.secret_enc:
        what = ("username and password are" if cred is None or not (cred.login or cred.secret_enc)
                else "username is" if not cred.login else "password is")
        checks.append(Check("Autotask user account (this user)", False,
                            f"The Autotask {what} not set for this user.", AUTOTASK_FIX))
    settings = _integration_settings(user.account_id)
    missing = _settings_check(settings, {"at_integration_code": "integration code"}, "Autotask")
    checks += [missing] if missing else []
    if checks:
        return _not_tried(checks)
    from wisesync.integrations.clients import autotask_client

    try:
        # The user's own login with the account's integration code; the account's zone when
        # known (one Autotask database is one zone), else the lookup finds it for this user.
        client = autotask_client(cred.login, _secret(cred, "Autotask password"), settings.at_integration_code,
                                 zone_url=getattr(settings, "at_effective_zone", "") or None, session=session)
    except PsaConfigError as exc:
        return _not_tried([Check("Settings", False, exc.explanation, exc.fix)])
    return client.test_connection()


_REPORTS = {"connectwise": _member_report, "connectwise-api": _api_report, "autotask": _autotask_report}


def run_connection_test(user, kind: str, *, actor, ip: str = "", session=None) -> ConnectionReport:
    """Run the connectivity test of ``kind`` for ``user`` and keep its result and time.

    The PSA is contacted only when the user's credentials and the account's Integration
    Settings are complete; otherwise the report says which fields to fill. Never raises a
    ``PsaError``. ``session`` is a ``requests.Session`` for the client (tests inject one).
    """
    report = _REPORTS[kind](user, get_credential(user, kind), session)
    cred = _credential_for_update(user, kind)
    cred.last_test = report.as_dict()
    cred.last_tested_at = utcnow()
    db.session.add(cred)
    record("psa_credentials.tested", account_id=user.account_id, actor=actor, target=user,
           detail=f"{KINDS[kind][0]}: {report.status_word}"
                  + (f" (failed: {', '.join(c.name for c in report.failed)})" if report.failed else ""),
           ip=ip)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent first save created the row: the report still stands
        db.session.rollback()
    return report


# -- what the page shows -----------------------------------------------------------------------

def set_on(when: datetime | None) -> str:
    return f"•••• set on {when.day} {when:%b %Y}" if when else "Not set"


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
    settings = _integration_settings(account.id)
    needed = {"connectwise": {"cw_company_id": "Company ID", "cw_site": "site"},
              "connectwise-api": {"cw_company_id": "Company ID", "cw_site": "site", "cw_client_id": "client ID"},
              "autotask": {"at_integration_code": "integration code"}}[kind]
    return [label for attr, label in needed.items() if not (getattr(settings, attr, "") or "").strip()]


def view_state(user, kind: str) -> dict:
    """Plain values for a section: stored public value, secret state, primary, last test."""
    cred = get_credential(user, kind)
    report = ConnectionReport.from_dict(cred.last_test) if cred is not None and cred.last_test else None
    state = {
        "kind": kind,
        "title": KINDS[kind][0],
        "login": cred.login if cred else "",
        "secret_set": bool(cred and cred.secret_enc),
        "secret_state": set_on(cred.secret_set_at if cred and cred.secret_enc else None),
        "is_primary": bool(cred and cred.is_primary),
        "report": report,
        "tested_at": cred.last_tested_at if cred else None,
        "tested_ago": ago(cred.last_tested_at) if cred else "",
        "settings_missing": settings_missing(user.account, kind),
    }
    if kind == "connectwise-api":
        holder = primary_api_user(user.account_id)
        state["primary_user"] = holder.full_name if holder is not None and holder.id != user.id else ""
    return state


# -- key rotation ------------------------------------------------------------------------------

def encrypted_columns() -> list[tuple]:
    """(table, [columns]) for every column that holds a Fernet token.

    By convention such columns end in ``_enc`` (``psa_credentials.secret_enc``,
    ``integration_settings.cw_private_key_enc``/``at_secret_enc``...), so a feature that adds
    one is rotated without touching this code.
    """
    out = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith("_enc")]
        if columns:
            out.append((table, columns))
    return out


class RotationFailed(Exception):
    """Some secrets could not be decrypted with any configured key; nothing was changed."""

    def __init__(self, where: list[str]):
        super().__init__(f"{len(where)} stored secret(s) could not be decrypted with any configured key: "
                         + ", ".join(where))
        self.where = where


def rotate_secrets(keys: list[str] | None = None) -> dict[str, int]:
    """Re-encrypt every stored secret with the newest key, in one transaction.

    Returns ``{"table.column": count}``. Raises :class:`RotationFailed` (and changes nothing)
    when a secret was encrypted with a key that is no longer configured.
    """
    counts: dict[str, int] = {}
    unreadable: list[str] = []
    for table, columns in encrypted_columns():
        pk = list(table.primary_key.columns)
        rows = db.session.execute(select(*pk, *columns)).all()
        for row in rows:
            values = {}
            for column in columns:
                token = getattr(row, column.name)
                if not token:
                    continue
                try:
                    values[column.name] = rotate(token, keys)
                except SecretUnreadable:
                    unreadable.append(f"{table.name}.{column.name} id={row[0]}")
                    continue
                counts[f"{table.name}.{column.name}"] = counts.get(f"{table.name}.{column.name}", 0) + 1
            if values:
                db.session.execute(update(table).where(*[c == getattr(row, c.name) for c in pk]).values(**values))
    if unreadable:
        db.session.rollback()
        raise RotationFailed(unreadable)
    db.session.commit()
    return counts
