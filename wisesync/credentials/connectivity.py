"""Connectivity tests of per-user PSA credentials: a checklist, never a bare error.

The PSA is contacted only when the user's credentials and the account's Integration Settings
are complete; otherwise the report names the Wise-Sync fields to fill (never the PSA's raw
"Username is a required field.").

ConnectWise Member: the SOAP check (``GetUnpostedInvoices`` as the member) where the tenant still
answers SOAP; where the SOAP service is absent — ConnectWise retired its SOAP APIs — or no member
password is set, the member is checked through REST with the identity a sync would use (DESIGN
§10.3): the member exists and is active (``/system/members``, identifier = Member ID), the API
member obtains an impersonation token for it (``POST /system/members/{id}/tokens``, the call
the sync makes), and the member's own role reaches the accounting interface. Connected, the
report says so: *Connected (REST, as jsmith)*.
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
from wisesync.psa.connectwise_soap import ConnectWiseSoapClient, soap_absent
from wisesync.psa.errors import PsaAuthError, PsaConfigError, PsaError, PsaNotFound, PsaPermissionError
from wisesync.psa.report import Check, ConnectionReport

# The fixes name Wise-Sync's own fields, never the PSA's "Username is a required field.".
MEMBER_FIX = ("Enter the Member ID and member password in the ConnectWise Member section above, "
              "save, then test again.")
API_KEYS_FIX = ("Enter the API public key and API private key in the ConnectWise API Member section "
                "above, save, then test again.")
AUTOTASK_FIX = ("Enter the Autotask username and password in the Autotask user account section "
                "above, save, then test again.")
NOT_TRIED = "Not tried: the settings above are incomplete, so Wise-Sync did not contact the PSA."
REST_KEYS_FIX = ("Enter the API public key and API private key in the ConnectWise API Member section "
                 "above (or an account administrator completes Integration Settings), then test again: "
                 "without SOAP the member is checked with API keys.")
MEMBER_ID_FIX = ("Check the Member ID in the ConnectWise Member section above: it is the member's "
                 "identifier in ConnectWise (System > Members, the Member ID column), like jsmith.")
MEMBER_ACTIVE_FIX = ("In ConnectWise open System > Members, open the member and clear Inactive (or "
                     "enter the Member ID of an active member above), then test again.")
# Which security-role level ConnectWise checks before issuing a member token is UNVERIFIED;
# ConnectWise's PowerShell module and generated clients document only the call.
TOKEN_RIGHT_FIX = ("In ConnectWise open System > Security Roles, pick the role of the API member Wise-Sync "
                   "uses, expand System and set Member Maintenance to Add, Edit and Inquire All, so it may "
                   "obtain a member token (impersonate) for this member. Save, then test again.")


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
    settings = integration_settings(user.account_id)
    missing = _settings_check(settings, {"cw_company_id": "Company ID", "cw_site": "site"}, "ConnectWise")
    checks += [missing] if missing else []
    if checks:
        return _not_tried(checks)
    if not cred.secret_enc:
        first = Check("SOAP member login", True, "Skipped: no member password is set, so the member "
                                                 "is checked through REST (the password is only for SOAP).")
        return _member_through_rest(user, cred.login, first, session)
    try:
        password = _secret(cred, "member password")
    except PsaConfigError as exc:
        return _not_tried([Check("ConnectWise Member (this user)", False, exc.explanation, exc.fix)])
    client = ConnectWiseSoapClient(settings.cw_site, settings.cw_company_id, cred.login, password,
                                   session=session, policy=outbound_policy())
    report = client.test_connection()
    if not soap_absent(client.last_error):
        return report  # SOAP answered: its verdict stands, good or bad
    first = Check("SOAP member login", True,
                  f"{client.last_error.explanation} ConnectWise has retired its SOAP APIs, so the member "
                  "is checked through REST instead; the member password is not needed.",
                  psa_said=f"HTTP {client.last_error.status}" if client.last_error.status else "")
    return _member_through_rest(user, cred.login, first, session)


def _member_through_rest(user, member_id: str, first: Check, session=None) -> ConnectionReport:
    """The member checked through REST, step by step; each failure names the right to grant.

    Uses the identity a sync would (own API keys, else the primary API account, else
    Integration Settings). The member token is requested, used once and dropped (a secret)."""
    from dataclasses import replace

    from wisesync.transactions.identity import choose, rest_client

    names = ["Reached host (REST)", "Authenticated (REST)", f"Member {member_id} exists and is active",
             f"Member token for {member_id}", f"Accounting interface (as {member_id})"]
    passed: list[Check] = [first]

    def stop(at: int, error: PsaError | None = None, detail: str = "", fix: str = "") -> ConnectionReport:
        failed = Check.from_error(names[at], error, fix or None) if error else Check(names[at], False, detail, fix)
        rest = [Check(name, False, "Not checked: the step above failed.") for name in names[at + 1:]]
        return ConnectionReport(passed + [failed] + rest)

    identity = replace(choose(user.account, user), member_id="")  # impersonated by hand below
    try:
        client = rest_client(user.account, identity, impersonate=False, session=session)
        client.discover_codebase()
    except PsaConfigError as exc:
        return stop(0, exc, fix=REST_KEYS_FIX if "not set" in exc.explanation or "not complete" in exc.explanation
                    else None)
    except PsaNotFound as exc:  # ConnectWise does not know the company ID
        passed.append(Check(names[0], True, "The ConnectWise site answered."))
        return stop(1, exc)
    except PsaError as exc:
        return stop(0, exc)
    passed.append(Check(names[0], True, f"ConnectWise answered (codebase {client.codebase})."))
    try:
        member = client.member(member_id)
    except PsaAuthError as exc:
        return stop(1, exc)
    except PsaPermissionError as exc:
        passed.append(Check(names[1], True, f"Signed in with {identity.label}."))
        return stop(2, exc)
    except PsaError as exc:
        return stop(1, exc)
    passed.append(Check(names[1], True, f"Signed in with {identity.label}."))
    if member is None:
        return stop(2, detail=f"ConnectWise has no member with the Member ID {member_id}.", fix=MEMBER_ID_FIX)
    who = " ".join(filter(None, [member.get("firstName"), member.get("lastName")])) or member_id
    if member.get("inactiveFlag"):
        return stop(2, detail=f"Member {member_id} ({who}) is inactive in ConnectWise.", fix=MEMBER_ACTIVE_FIX)
    passed.append(Check(names[2], True, f"{who} ({member.get('identifier', member_id)}), active."))
    try:
        acting = client.as_member(client.member_token(member_id), member_id)
    except PsaPermissionError as exc:
        return stop(3, exc, fix=TOKEN_RIGHT_FIX)
    except PsaError as exc:
        return stop(3, exc)
    passed.append(Check(names[3], True, f"The API member obtained a member token for {member_id}, so "
                                        f"syncs post as {member_id} and ConnectWise records them."))
    try:
        unposted = acting.count("/finance/accounting/unpostedinvoices")
    except PsaError as exc:
        return stop(4, exc)
    passed.append(Check(names[4], True, f"{unposted:,} unposted invoices visible to {member_id}."))
    return ConnectionReport(passed, via=f"REST, as {member_id}")


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
