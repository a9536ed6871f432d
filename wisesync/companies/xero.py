"""A company's Xero connection: connect (OAuth 2.0 + PKCE), choose the organisation, Test,
disconnect, and — for the sync — a ready :class:`~wisesync.accounting.xero.XeroClient`.

What the sync calls::

    xero_client_for(company, limiter=None) -> XeroClient
    xero_settings(app_config) -> XeroSettings
    document_url(company, kind, xero_id) -> str

Tokens. Access tokens live 30 minutes; refresh tokens are single-use and rotate, and sending a
spent one kills the grant. So a refresh is serialised per grant across threads *and*
processes without holding a database lock during the HTTP call: the caller first *claims* the
row with one atomic ``UPDATE … WHERE refresh_token_enc = :seen AND (refresh_claim IS NULL OR
the claim is stale)`` (a compare-and-swap on the stored refresh token, which works the same
on SQLite and PostgreSQL). Only the claimant talks to Xero; everyone else polls the row until
the claimant has stored the new access token and uses that one. Token reads and writes run on
connections of their own, committed at once: a caller that rolls back its own work afterwards
must not roll back the only copy of the new refresh token. (On SQLite, call
:func:`xero_client_for` outside a write transaction of your own, or the token write waits for it.)

A refresh Xero refuses (``invalid_grant``) marks the connection "Reconnect Xero" with the
reason, audited once (by the claimant); later calls fail fast with that message, without
calling Xero again. No function here logs, audits or returns a token.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from wisesync.accounting.errors import (RECONNECT, XeroAuthError, XeroError, XeroForbidden,
                                        XeroGrantRevoked, XeroNotFound, XeroUnavailable)
from wisesync.audit.models import AuditEvent
from wisesync.audit.services import record
from wisesync.companies.models import Company
from wisesync.companies.xero_models import (STATUS_CHOOSE, STATUS_OK, STATUS_RECONNECT,
                                            XeroConnection)
from wisesync.crypto import SecretUnreadable, decrypt, encrypt
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.report import Check, ConnectionReport

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=2)  # refresh when the access token expires sooner than this
# A claim older than this is abandoned (its holder died): longer than any one token call with
# its retries can take, so a live claimant is never overtaken.
CLAIM_TTL = timedelta(seconds=150)
POLL_SECONDS = 0.05
XERO_HOSTS = ("api.xero.com",)
RECONNECT_FIX = RECONNECT + " (Companies → the company → Xero → Reconnect Xero)."
REGISTER_URL = "https://developer.xero.com/app/manage"


class XeroNotConnected(XeroError):
    """The company has no usable Xero connection (never connected, disconnected, or the
    organisation is still to be chosen)."""

    title = "This company is not connected to Xero"


class XeroConnectRefused(Exception):
    """Connecting was refused for a reason the person must act on (shown as it is)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- settings ---------------------------------------------------------------------------------

def xero_settings(app_config=None):
    """The :class:`~wisesync.accounting.xero.XeroSettings` from the app's configuration
    (``WISESYNC_XERO_*``; the outbound guard allows local targets when
    ``WISESYNC_ALLOW_LOCAL_PSA`` is on, as for the simulator)."""
    from wisesync.accounting.xero import XeroSettings

    c = app_config if app_config is not None else current_app.config
    return XeroSettings(client_id=c.get("WISESYNC_XERO_CLIENT_ID") or "",
                        client_secret=c.get("WISESYNC_XERO_CLIENT_SECRET") or "",
                        authorize_url=c["WISESYNC_XERO_AUTHORIZE_URL"],
                        identity_url=c["WISESYNC_XERO_IDENTITY_URL"].rstrip("/"),
                        api_url=c["WISESYNC_XERO_API_URL"].rstrip("/"),
                        allow_local=bool(c.get("WISESYNC_ALLOW_LOCAL_PSA")))


def xero_configured(app_config=None) -> bool:
    c = app_config if app_config is not None else current_app.config
    return bool(c.get("WISESYNC_XERO_CLIENT_ID") and c.get("WISESYNC_XERO_CLIENT_SECRET"))


def _oauth():
    from wisesync.accounting.xero import XeroOAuth

    return XeroOAuth(xero_settings())


def authorization_url(redirect_uri: str, state: str, code_verifier: str) -> str:
    return _oauth().authorization_url(redirect_uri, state, code_verifier)


def connect_started(company: Company, *, actor=None, ip: str = "") -> None:
    record("company.xero_connect_started", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {company.name!r}: Connect Xero started (sent to Xero's sign-in)")
    db.session.commit()


def connect_failed(company: Company | None, reason: str, *, account_id: int, actor=None, ip: str = "") -> None:
    """Audit a connect that ended without a binding (cancelled in Xero, refused, bad state)."""
    db.session.rollback()
    where = f"Company {company.id} {company.name!r}: " if company is not None else ""
    record("company.xero_connect_failed", account_id=account_id, actor=actor, ip=ip,
           detail=f"{where}Connect Xero ended without a connection: {reason}")
    db.session.commit()


def connection_for(company: Company) -> XeroConnection | None:
    return db.session.scalar(select(XeroConnection).where(XeroConnection.company_id == company.id))


# -- connecting -------------------------------------------------------------------------------

@dataclass
class ConnectOutcome:
    connection: XeroConnection
    chosen: bool  # False: the grant holds several organisations, one must be picked
    notes: list[str] = field(default_factory=list)


def _bound_elsewhere(company: Company, tenant_ids) -> dict[str, Company]:
    rows = db.session.execute(
        select(XeroConnection.tenant_id, Company)
        .join(Company, Company.id == XeroConnection.company_id)
        .where(XeroConnection.account_id == company.account_id, XeroConnection.company_id != company.id,
               XeroConnection.tenant_id.in_(list(tenant_ids))))
    return {tenant_id: other for tenant_id, other in rows}


def _taken_message(name: str, other: Company) -> str:
    return (f"The Xero organisation {name!r} is already linked to {other.name!r}: an organisation "
            f"belongs to one company only. Disconnect it on {other.name!r} first, or connect "
            f"again and tick another organisation in Xero.")


def complete_connection(company: Company, *, code: str, redirect_uri: str, code_verifier: str,
                        actor=None, ip: str = "") -> ConnectOutcome:
    """Finish the OAuth flow for ``company``: exchange the code, read the organisations the
    grant holds, and bind the one that is not another company's. Several → stored as pending
    (``chosen`` False) for :func:`choose_tenant`.

    Raises :class:`XeroConnectRefused` (nothing saved) when every organisation of the grant is
    already linked to another company of the account, or the grant holds none; a
    :class:`XeroError` when Xero refuses the code or cannot be reached.
    """
    oauth = _oauth()
    tokens = oauth.exchange_code(code, redirect_uri, code_verifier)
    tenants = [t for t in oauth.connections(tokens.access_token)
               if (t.tenant_type or "ORGANISATION").upper() == "ORGANISATION"]
    if not tenants:
        raise XeroConnectRefused("Xero gave Wise-Sync access to no organisation. Connect again and "
                                 "tick the organisation of this company on Xero's page.")
    taken = _bound_elsewhere(company, [t.tenant_id for t in tenants])
    free = [t for t in tenants if t.tenant_id not in taken]
    if not free:
        first = tenants[0]
        raise XeroConnectRefused(_taken_message(first.tenant_name, taken[first.tenant_id]))
    conn = connection_for(company) or XeroConnection(account_id=company.account_id, company_id=company.id)
    previous = conn.tenant_name if conn.tenant_id else ""
    conn.access_token_enc = encrypt(tokens.access_token)
    conn.refresh_token_enc = encrypt(tokens.refresh_token)
    conn.expires_at = tokens.expires_at
    conn.scope = tokens.scope or ""
    conn.refresh_claim = conn.refresh_claimed_at = None
    conn.connected_by_id = getattr(actor, "id", None)
    conn.connected_at = utcnow()
    conn.status_reason, conn.status_at = "", utcnow()
    db.session.add(conn)
    if len(free) == 1:
        _bind(conn, free[0])
        notes = _after_bind(conn, tokens.access_token)
        record("company.xero_connected", account_id=company.account_id, actor=actor, ip=ip,
               detail=f"Company {company.id} {company.name!r} linked to the Xero organisation "
                      f"{conn.tenant_name!r} ({conn.tenant_id})"
                      + (f", replacing {previous!r}" if previous and previous != conn.tenant_name else ""))
        _commit_binding(conn)
        return ConnectOutcome(conn, True, notes)
    conn.status = STATUS_CHOOSE
    conn.tenant_id = None
    conn.pending_tenants = [{"tenant_id": t.tenant_id, "tenant_name": t.tenant_name,
                             "connection_id": t.connection_id} for t in tenants]
    record("company.xero_authorised", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {company.name!r}: Xero granted access to {len(tenants)} "
                  f"organisations; waiting for the choice of one")
    db.session.commit()
    return ConnectOutcome(conn, False)


def _bind(conn: XeroConnection, tenant) -> None:
    conn.tenant_id = tenant.tenant_id
    conn.tenant_name = (tenant.tenant_name or "")[:255]
    conn.connection_id = tenant.connection_id or ""
    conn.pending_tenants = None
    conn.status = STATUS_OK
    conn.tax_rates, conn.tax_rates_at, conn.last_test, conn.last_tested_at = None, None, None, None
    conn.short_code, conn.tenant_country = "", ""


def _after_bind(conn: XeroConnection, access_token: str) -> list[str]:
    """Read the organisation's country and tax rates right away (the form needs them); a
    failure here leaves the binding and says so — Test reads them again."""
    from wisesync.accounting.xero import XeroClient

    try:
        client = XeroClient(xero_settings(), access_token, conn.tenant_id)
        _remember_organisation(conn, client.organisation())
        _remember_tax_rates(conn, client.tax_rates())
    except XeroError as exc:
        log.warning("Reading the Xero organisation after connecting failed: %s", exc)
        return [f"Its tax rates could not be read yet ({exc.explanation}); click Test to try again."]
    return []


def _remember_organisation(conn: XeroConnection, org: dict) -> None:
    conn.tenant_name = str(org.get("Name") or conn.tenant_name)[:255]
    conn.tenant_country = str(org.get("CountryCode") or "")[:8]
    conn.short_code = str(org.get("ShortCode") or "")[:20]


def _remember_tax_rates(conn: XeroConnection, rates: list[dict]) -> None:
    keep = ("TaxType", "Name", "Status", "EffectiveRate", "DisplayTaxRate")
    conn.tax_rates = [{k: (str(r[k]) if k in ("EffectiveRate", "DisplayTaxRate") else r[k])
                       for k in keep if r.get(k) is not None} for r in rates]
    conn.tax_rates_at = utcnow()


def _commit_binding(conn: XeroConnection) -> None:
    """The unique (account, tenant) index catches a second company binding the same
    organisation in a race the check above missed."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise XeroConnectRefused("Another company of this account was linked to that Xero organisation "
                                 "just now: an organisation belongs to one company only.") from None


def pending_choices(company: Company) -> list[dict]:
    """The organisations to choose from: ``[{tenant_id, tenant_name, taken_by}]``."""
    conn = connection_for(company)
    if conn is None or conn.status != STATUS_CHOOSE:
        return []
    tenants = conn.pending_tenants or []
    taken = _bound_elsewhere(company, [t["tenant_id"] for t in tenants])
    return [{**t, "taken_by": taken.get(t["tenant_id"])} for t in tenants]


def choose_tenant(company: Company, tenant_id: str, *, actor=None, ip: str = "") -> ConnectOutcome:
    """Bind the organisation picked from a grant that holds several. Raises
    :class:`XeroConnectRefused` when it is not one of them or another company has it."""
    from wisesync.accounting.xero import XeroTenant

    conn = connection_for(company)
    if conn is None or conn.status != STATUS_CHOOSE:
        raise XeroConnectRefused("There is no organisation to choose: connect Xero again.")
    match = next((t for t in conn.pending_tenants or [] if t["tenant_id"] == tenant_id), None)
    if match is None:
        raise XeroConnectRefused("Choose one of the organisations listed.")
    offered = len(conn.pending_tenants or [])
    other = _bound_elsewhere(company, [tenant_id]).get(tenant_id)
    if other is not None:
        raise XeroConnectRefused(_taken_message(match["tenant_name"], other))
    _bind(conn, XeroTenant(connection_id=match.get("connection_id") or "", tenant_id=tenant_id,
                           tenant_name=match["tenant_name"], tenant_type="ORGANISATION"))
    notes = []
    try:
        notes = _after_bind(conn, fresh_access_token(conn.id))
    except XeroError as exc:
        notes = [exc.explanation]
    record("company.xero_connected", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {company.name!r} linked to the Xero organisation "
                  f"{conn.tenant_name!r} ({conn.tenant_id}), chosen from {offered}")
    _commit_binding(conn)
    return ConnectOutcome(conn, True, notes)


# -- tokens -----------------------------------------------------------------------------------

_T = XeroConnection.__table__


def _read(connection_id: int):
    with db.engine.connect() as c:
        return c.execute(select(_T.c.id, _T.c.account_id, _T.c.company_id, _T.c.tenant_id, _T.c.status,
                                _T.c.status_reason, _T.c.access_token_enc, _T.c.refresh_token_enc,
                                _T.c.expires_at, _T.c.refresh_claim, _T.c.refresh_claimed_at)
                         .where(_T.c.id == connection_id)).one_or_none()


def _not_connected() -> XeroNotConnected:
    return XeroNotConnected("This company is not connected to a Xero organisation.",
                            "Connect Xero on the company's page (Companies → the company → Connect Xero).")


def _revoked(reason: str) -> XeroGrantRevoked:
    return XeroGrantRevoked(reason or "Xero no longer accepts this company's connection.", RECONNECT_FIX)


def fresh_access_token(connection_id: int) -> str:
    """An access token valid for at least :data:`REFRESH_MARGIN`, refreshing it first when
    needed — at most one refresh per grant at a time, whatever the number of threads and
    processes asking (see the module docstring).

    Raises :class:`XeroNotConnected`, :class:`XeroGrantRevoked` (the connection is marked
    "Reconnect Xero"), or the :class:`XeroError` the refresh met (the claim is released).
    """
    deadline = time.monotonic() + CLAIM_TTL.total_seconds() + 5
    while True:
        row = _read(connection_id)
        if row is None:
            raise _not_connected()
        if row.status == STATUS_RECONNECT:
            raise _revoked(row.status_reason)
        if not row.refresh_token_enc:
            raise _not_connected()
        now = utcnow()
        if row.access_token_enc and row.expires_at and row.expires_at - now > REFRESH_MARGIN:
            return _reveal(row.access_token_enc)
        stale = now - CLAIM_TTL
        if row.refresh_claim is None or (row.refresh_claimed_at or now) < stale:
            nonce = secrets.token_hex(16)
            with db.engine.begin() as c:
                won = c.execute(update(_T).where(
                    _T.c.id == connection_id, _T.c.refresh_token_enc == row.refresh_token_enc,
                    or_(_T.c.refresh_claim.is_(None), _T.c.refresh_claimed_at < stale))
                    .values(refresh_claim=nonce, refresh_claimed_at=now)).rowcount == 1
            if won:
                return _refresh_as_claimant(row, nonce)
            continue  # someone else claimed it (or rotated the cipher): look again at once
        if time.monotonic() > deadline:
            raise XeroUnavailable("Another Wise-Sync worker started renewing the Xero connection and "
                                  "has not finished.", "Try again in a minute.")
        time.sleep(POLL_SECONDS)


def _reveal(token: str) -> str:
    try:
        return decrypt(token)
    except SecretUnreadable:
        raise XeroNotConnected(
            "The stored Xero connection could not be decrypted: the key it was saved with is no "
            "longer in WISESYNC_SECRETS_KEYS.",
            "Add the old key back (after the new one), or disconnect and connect Xero again.") from None


def _refresh_as_claimant(row, nonce: str) -> str:
    from wisesync.accounting.xero import XeroOAuth

    refresh_token = _reveal(row.refresh_token_enc)
    try:
        tokens = XeroOAuth(xero_settings()).refresh(refresh_token)
    except XeroGrantRevoked as exc:
        _mark_reconnect(row, nonce, exc.explanation)
        raise _revoked(exc.explanation) from None
    except BaseException:
        # Whether Xero spent the token is unknown: free the claim; a later call tries again and,
        # if it was spent, gets invalid_grant, which marks the connection for reconnecting.
        with db.engine.begin() as c:
            c.execute(update(_T).where(_T.c.id == row.id, _T.c.refresh_claim == nonce)
                      .values(refresh_claim=None, refresh_claimed_at=None))
        raise
    values = {"access_token_enc": encrypt(tokens.access_token), "refresh_token_enc": encrypt(tokens.refresh_token),
              "expires_at": tokens.expires_at, "refreshed_at": utcnow(), "refresh_claim": None,
              "refresh_claimed_at": None}
    if tokens.scope:
        values["scope"] = tokens.scope
    with db.engine.begin() as c:
        stored = c.execute(update(_T).where(_T.c.id == row.id, _T.c.refresh_claim == nonce)
                           .values(**values)).rowcount
        if not stored:
            # The claim went stale under us (a very slow Xero). Xero has just made these the
            # grant's only valid tokens, so they are stored anyway, unless the company was
            # disconnected meanwhile.
            stored = c.execute(update(_T).where(_T.c.id == row.id, _T.c.status != STATUS_RECONNECT)
                               .values(**values)).rowcount
    if not stored:
        raise _not_connected()
    log.info("Xero access renewed for company %s", row.company_id)
    return tokens.access_token


def _mark_reconnect(row, nonce: str, reason: str) -> None:
    """Only the claimant gets here, so the audit event is written once."""
    reason = (reason or "Xero refused to renew access.")[:1000]
    with db.engine.begin() as c:
        marked = c.execute(update(_T).where(_T.c.id == row.id, _T.c.refresh_claim == nonce).values(
            status=STATUS_RECONNECT, status_reason=reason, status_at=utcnow(), access_token_enc=None,
            refresh_token_enc=None, expires_at=None, refresh_claim=None, refresh_claimed_at=None)).rowcount
        if marked:
            c.execute(AuditEvent.__table__.insert().values(
                action="company.xero_reconnect_needed", account_id=row.account_id, actor_id=None,
                target_user_id=None, ip="", created_at=utcnow(),
                detail=f"Company {row.company_id}: Xero refused to renew access ({reason}); "
                       f"marked 'Reconnect Xero'"[:2000]))
    log.warning("Xero refused to renew access for company %s: marked 'Reconnect Xero'", row.company_id)


def xero_client_for(company: Company, limiter=None):
    """A :class:`~wisesync.accounting.xero.XeroClient` for the company's organisation with an
    access token valid for at least two more minutes (refreshed first when needed, one refresh
    per grant across threads and processes).

    Raises :class:`XeroNotConnected` (never connected, disconnected, organisation not chosen
    yet) or :class:`XeroGrantRevoked` ("Reconnect Xero": Xero refused the refresh — the
    company is marked once, and later calls fail fast without calling Xero), each with
    ``explanation`` and ``fix``; or the :class:`XeroError` a refresh met (e.g. XeroUnavailable).
    """
    from wisesync.accounting.xero import XeroClient

    conn = connection_for(company)
    if conn is None:
        raise _not_connected()
    if conn.status == STATUS_RECONNECT:
        raise _revoked(conn.status_reason)
    if conn.status == STATUS_CHOOSE or not conn.tenant_id:
        raise XeroNotConnected("The Xero organisation for this company has not been chosen yet.",
                               "Open the company's page and choose the organisation (or connect Xero again).")
    token = fresh_access_token(conn.id)
    tenant_id = conn.tenant_id
    db.session.expire(conn)  # the token columns were written on another connection
    return XeroClient(xero_settings(), token, tenant_id, limiter=limiter)


# -- Test -------------------------------------------------------------------------------------

TAX_CHECKS = (("sales_tax_code", "Taxable sales tax code"), ("sales_exempt_tax_code", "Exempt sales tax code"),
              ("purchase_tax_code", "Taxable purchases tax code"),
              ("purchase_exempt_tax_code", "Exempt purchases tax code"))


def _tax_check(label: str, code: str, rates: dict[str, dict], org: str) -> Check:
    from wisesync.companies.forms import rate_label

    if not code:
        return Check(label, False, "not set",
                     f"Choose it under Tax codes on this page (one of {org}'s tax rates) and save.")
    rate = rates.get(code)
    if rate is None:
        return Check(f"{label} {code}", False, f"{org} has no tax rate {code}.",
                     f"Choose one of {org}'s tax rates under Tax codes on this page and save, then "
                     f"test again (or add the tax rate in Xero: Accounting → Advanced → Tax rates).")
    if rate.get("Status") != "ACTIVE":
        return Check(f"{label} {code}", False, f"{rate_label(rate)} is {str(rate.get('Status')).lower()} in {org}.",
                     "Choose an active tax rate under Tax codes and save, or make it active again in Xero.")
    return Check(f"{label} {code}", True, f"found and active: {rate_label(rate)}")


def _account_check(label: str, code: str, accounts: dict[str, dict], org: str, fix: str) -> Check:
    account = accounts.get(code)
    if account is None:
        return Check(f"{label} {code}", False, f"{org}'s chart of accounts has no account {code}.", fix)
    if account.get("Status") not in (None, "ACTIVE"):
        return Check(f"{label} {code}", False, f"{code} {account.get('Name')} is {str(account['Status']).lower()}.",
                     fix)
    return Check(f"{label} {code}", True, f"found: {code} {account.get('Name') or ''}".rstrip())


def _later_checks(company: Company, account_codes, why: str) -> list[Check]:
    """The checks that could not run because an earlier step failed ("Not checked: …")."""
    names = ["Organisation"]
    names += [f"{label} {getattr(company, name)}".rstrip() for name, label in TAX_CHECKS]
    names.append(f"Rounding account {company.rounding_account}".rstrip())
    names += [f"Account for {purpose} {code}" for code, purpose in account_codes]
    return [Check(name, False, f"Not checked: {why}") for name in names]


def test_connection(company: Company, *, account_codes=(), actor=None, ip: str = "") -> ConnectionReport:
    """Test the company's Xero connection: reached Xero, authorised, organisation name and
    country, each of the four tax codes found and ACTIVE, the rounding account, and each of
    ``account_codes`` (``(code, purpose)`` pairs the sync needs) found. Refreshes the cached tax
    rates; stores the report and audits it. Never raises for a Xero failure: it is a check."""
    conn = connection_for(company)
    if conn is None or conn.status == STATUS_CHOOSE or not conn.tenant_id:
        check = Check("Linked to a Xero organisation", False,
                      "No organisation is linked to this company yet." if conn is None
                      else "Xero granted several organisations and none was chosen yet.",
                      "Click Connect Xero, sign in to Xero, tick this company's organisation and "
                      "click Allow access." if conn is None else
                      "Choose the organisation on this company's page, or connect Xero again.")
        return _finish_test(company, conn, ConnectionReport([check]), actor, ip)
    host = urlsplit(current_app.config["WISESYNC_XERO_API_URL"]).netloc
    org_name = conn.tenant_name or "the organisation"
    checks: list[Check] = []
    if conn.status == STATUS_RECONNECT:  # known lost: Xero is not asked again
        checks += [Check("Reached Xero", False, "Not checked: the connection must be renewed first."),
                   Check("Authorised", False, conn.status_reason or "Xero no longer accepts this connection.",
                         RECONNECT_FIX)]
        checks += _later_checks(company, account_codes, "Xero no longer accepts this connection.")
        return _finish_test(company, conn, ConnectionReport(checks), actor, ip)
    try:
        client = xero_client_for(company)
        org = client.organisation()
    except (XeroGrantRevoked, XeroAuthError, XeroForbidden, XeroNotConnected) as exc:
        checks += [Check("Reached Xero", True, host),
                   Check("Authorised", False, exc.explanation, exc.fix or RECONNECT_FIX)]
        checks += _later_checks(company, account_codes, "Xero did not accept the connection.")
        return _finish_test(company, conn, ConnectionReport(checks), actor, ip)
    except XeroError as exc:
        checks.append(Check("Reached Xero", False, exc.explanation,
                            exc.fix or "Check the server can reach Xero, then test again."))
        checks.append(Check("Authorised", False, "Not checked: Xero was not reached."))
        checks += _later_checks(company, account_codes, "Xero was not reached.")
        return _finish_test(company, conn, ConnectionReport(checks), actor, ip)
    by = conn.connected_by.full_name if conn.connected_by else "an admin"
    checks += [Check("Reached Xero", True, host), Check("Authorised", True, f"access granted by {by}")]
    _remember_organisation(conn, org)
    org_name = conn.tenant_name or org_name
    checks.append(Check("Organisation", True, org_name + (f" ({conn.tenant_country})" if conn.tenant_country else "")))
    try:
        rates_list = client.tax_rates()
        _remember_tax_rates(conn, rates_list)
        rates = {str(r.get("TaxType")): r for r in rates_list}
        checks += [_tax_check(label, getattr(company, name) or "", rates, org_name) for name, label in TAX_CHECKS]
    except XeroError as exc:
        checks.append(Check("Tax rates", False, exc.explanation, exc.fix))
    try:
        accounts = {str(a.get("Code")): a for a in client.accounts() if a.get("Code")}
        checks.append(_account_check("Rounding account", company.rounding_account or "", accounts, org_name,
                                     "Create the account in Xero (Accounting → Chart of accounts) or "
                                     "enter an existing account's code under Sync on this page."))
        for code, purpose in account_codes:
            checks.append(_account_check(f"Account for {purpose}", str(code), accounts, org_name,
                                         f"Create account {code} in {org_name}'s chart of accounts, or "
                                         f"change the GL account in the PSA."))
    except XeroError as exc:
        checks.append(Check("Chart of accounts", False, exc.explanation, exc.fix))
    return _finish_test(company, conn, ConnectionReport(checks), actor, ip)


def _finish_test(company, conn, report: ConnectionReport, actor, ip) -> ConnectionReport:
    if conn is not None:
        conn.last_test, conn.last_tested_at = report.as_dict(), utcnow()
    failed = ", ".join(check.name for check in report.failed)
    record("company.xero_tested", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {company.name!r}: Xero test {report.status_word}"
                  + (f" (failed: {failed})" if failed else ""))
    db.session.commit()
    return report


# -- disconnect -------------------------------------------------------------------------------

@dataclass
class DisconnectOutcome:
    tenant_name: str
    reached_xero: bool
    problem: str = ""


def disconnect(company: Company, *, actor=None, ip: str = "") -> DisconnectOutcome | None:
    """Revoke the grant at Xero (and remove the organisation's connection), then delete the
    stored tokens and the binding — the local part even when Xero cannot be reached, which the
    outcome says. None when the company was not connected."""
    conn = connection_for(company)
    if conn is None:
        return None
    name = conn.tenant_name or "the organisation"
    reached, problem = True, ""
    try:
        oauth = _oauth()
        access = decrypt(conn.access_token_enc) if conn.access_token_enc else ""
        refresh = decrypt(conn.refresh_token_enc) if conn.refresh_token_enc else ""
        if access and conn.connection_id and conn.expires_at and conn.expires_at > utcnow():
            try:
                oauth.delete_connection(access, conn.connection_id)
            except XeroNotFound:
                pass  # already gone at Xero
        if refresh:
            oauth.revoke(refresh)
    except (XeroError, SecretUnreadable) as exc:
        reached = False
        problem = getattr(exc, "explanation", str(exc))
    db.session.delete(conn)
    record("company.xero_disconnected", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {company.name!r} disconnected from the Xero organisation {name!r}"
                  + ("" if reached else f"; Xero could not be told ({problem}), tokens deleted here anyway"))
    db.session.commit()
    return DisconnectOutcome(name, reached, problem)


# -- links ------------------------------------------------------------------------------------

_PATHS = {
    "invoice": "/AccountsReceivable/View.aspx?InvoiceID={id}",
    "ACCREC": "/AccountsReceivable/View.aspx?InvoiceID={id}",
    "procurement": "/AccountsPayable/View.aspx?InvoiceID={id}",
    "bill": "/AccountsPayable/View.aspx?InvoiceID={id}",
    "ACCPAY": "/AccountsPayable/View.aspx?InvoiceID={id}",
    "credit": "/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={id}",
    "ACCRECCREDIT": "/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={id}",
    "contact": "/Contacts/View/{id}",
}


def document_url(company: Company, kind: str, xero_id: str) -> str:
    """A link that opens the document in Xero: ``kind`` is a ledger kind (``invoice``,
    ``credit``, ``procurement``), a Xero type (``ACCREC``, ``ACCPAY``, ``ACCRECCREDIT``) or
    ``contact``. For real Xero a ``go.xero.com`` deep link (through the organisation's short
    code, so it opens the right organisation); against another API (the simulator) that
    server's own page for the document."""
    if kind not in _PATHS:
        raise ValueError(f"no Xero link for kind {kind!r}")
    conn = connection_for(company)
    api = current_app.config["WISESYNC_XERO_API_URL"].rstrip("/")
    safe_id = quote(str(xero_id), safe="")
    if urlsplit(api).hostname not in XERO_HOSTS:
        tenant = quote(conn.tenant_id if conn and conn.tenant_id else "", safe="")
        base = api[: -len("/xero/api")] if api.endswith("/xero/api") else api
        return f"{base}/_sim/xero/{tenant}/documents/{safe_id}"
    path = _PATHS[kind].format(id=safe_id)
    if conn is not None and conn.short_code:
        return (f"https://go.xero.com/organisationlogin/default.aspx?shortcode={quote(conn.short_code, safe='!')}"
                f"&redirecturl={quote(path, safe='')}")
    return "https://go.xero.com" + path
