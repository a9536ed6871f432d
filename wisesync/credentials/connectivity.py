"""Connectivity tests of per-user PSA credentials: a checklist, never a bare error.

The PSA is contacted only when the user's credentials and the account's Integration Settings
are complete; otherwise the report names the Wise-Sync fields to fill (never the PSA's raw
"Username is a required field.").
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from wisesync.audit.services import record
from wisesync.credentials.models import KINDS, PsaCredential
from wisesync.credentials.services import (credential_for_update, get_credential, integration_settings,
                                           tested_seal)
from wisesync.crypto import SecretUnreadable, decrypt
from wisesync.extensions import db
from wisesync.integrations.clients import outbound_policy
from wisesync.modelbase import utcnow
from wisesync.psa.connectwise_soap import ConnectWiseSoapClient
from wisesync.psa.errors import PsaConfigError
from wisesync.psa.report import Check, ConnectionReport

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


def _not_tried(checks: list[Check]) -> ConnectionReport:
    return ConnectionReport(checks + [Check("Reached host", False, NOT_TRIED)])


def _secret(cred: PsaCredential, what: str) -> str:
    """The stored secret, only for the PSA address it was saved for (else PsaConfigError)."""
    from wisesync.integrations.clients import reveal_user_secret

    return reveal_user_secret(cred, integration_settings(cred.account_id), what)


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
    settings = integration_settings(user.account_id)
    missing = _settings_check(settings, {"cw_company_id": "Company ID", "cw_site": "site"}, "ConnectWise")
    checks += [missing] if missing else []
    if checks:
        return _not_tried(checks)
    try:
        password = _secret(cred, "member password")
    except PsaConfigError as exc:
        return _not_tried([Check("ConnectWise Member (this user)", False, exc.explanation, exc.fix)])
    client = ConnectWiseSoapClient(settings.cw_site, settings.cw_company_id, cred.login, password,
                                   session=session, policy=outbound_policy())
    return client.test_connection()


def _api_report(user, cred, session=None) -> ConnectionReport:
    checks = []
    if cred is None or not cred.login or not cred.secret_enc:
        what = ("API public key and API private key are" if cred is None or not (cred.login or cred.secret_enc)
                else "API public key is" if not cred.login else "API private key is")
        checks.append(Check("ConnectWise API Member (this user)", False, f"The {what} not set for this user.",
                            API_KEYS_FIX))
    settings = integration_settings(user.account_id)
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
    settings = integration_settings(user.account_id)
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
    sealed = tested_seal(user, kind)  # the values this test reads, so a later change shows it as outdated
    report = _REPORTS[kind](user, get_credential(user, kind), session)
    cred = credential_for_update(user, kind)
    cred.last_test = {**report.as_dict(), "tested_with": sealed}
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
