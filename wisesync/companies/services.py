"""Accounting companies: the list, create/edit rules, and who may sync which.

Every function takes the account explicitly; routes pass ``current_user.account_id``.
A save is one transaction: every rule is checked before anything is written, so a refused
save changes nothing (DESIGN §6), and the audit event is committed with the change.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError

from wisesync.audit.services import record
from wisesync.companies.models import (DEFAULT_ROUNDING_ACCOUNT, DOCUMENT_STATUSES, SYNC_SCHEDULES,
                                       Company, CompanyLocation)
from wisesync.extensions import db
from wisesync.service_errors import FieldError

NAME_TAKEN = "This account already has a company called {name!r}. Use a different name."
LOCATION_TAKEN = ("{location} already belongs to {company!r}: each {one} goes to one company. "
                  "Untick it on {company!r} first, or leave it out here.")
ONE_CATCH_ALL = ("{company!r} already has no {many} ticked, so it takes every {one} no "
                 "other company names; only one company may do that. Tick the {many} this "
                 "company takes (or tick {many} on {company!r} first).")
RACE_TAKEN = "Another company took one of these {many} just now. Reload the page and choose again."
FIELD_LABELS = {"name": "name", "sales_tax_code": "taxable sales tax code",
                "sales_exempt_tax_code": "exempt sales tax code",
                "purchase_tax_code": "taxable purchases tax code",
                "purchase_exempt_tax_code": "exempt purchases tax code",
                "document_status": "document status", "sync_schedule": "sync schedule",
                "rounding_account": "rounding account"}
DEFAULTS = {"sales_exempt_tax_code": "", "purchase_exempt_tax_code": "", "document_status": "DRAFT",
            "sync_schedule": "manual", "rounding_account": DEFAULT_ROUNDING_ACCOUNT}


@dataclass(frozen=True)
class LocationTerms:
    """What the account's PSA calls what a company takes (DESIGN §10.6 keeps the field
    ``psa_locations`` for both): ConnectWise billing locations, Autotask organisational levels
    (the ``organizationalLevelAssociationID`` of an invoice's first billing item)."""

    psa: str
    one: str
    many: str
    label: str

    def named(self, psa_id: int) -> str:
        return f"{self.one[:1].upper()}{self.one[1:]} {psa_id}"


LOCATION_TERMS = {
    "connectwise": LocationTerms("ConnectWise", "location", "locations", "ConnectWise billing locations"),
    "autotask": LocationTerms("Autotask", "organisational level", "organisational levels",
                              "Autotask organisational levels"),
}


def location_terms(account_id: int) -> LocationTerms | None:
    """The account's words for locations; None when its PSA routes no other way."""
    from wisesync.accounts.models import Account

    account = db.session.get(Account, account_id)
    return LOCATION_TERMS.get(account.psa_type) if account is not None else None


def list_companies(account_id: int) -> list[Company]:
    """The account's companies by name, their Xero connection loaded with them (one query)."""
    return list(db.session.scalars(
        select(Company).where(Company.account_id == account_id).order_by(Company.name_key)
        .options(selectinload(Company.xero))))


def syncable_companies(user) -> list[Company]:
    """Admins may sync every company of the account, including ones added later; a ``user``
    only the companies ticked on their user page."""
    if user.is_admin:
        return list_companies(user.account_id)
    return list(user.companies)


def granted_user_counts(account_id: int) -> dict[int, int]:
    """Company id → how many enabled ``user``-role users have it ticked (one query)."""
    from wisesync.users.models import User, user_companies

    rows = db.session.execute(
        select(user_companies.c.company_id, func.count())
        .join(User, User.id == user_companies.c.user_id)
        .where(User.account_id == account_id, User.role == "user", User.enabled.is_(True))
        .group_by(user_companies.c.company_id))
    return {company_id: count for company_id, count in rows}


def users_granted(company: Company) -> list:
    """The ``user``-role users who have this company ticked (admins sync it anyway)."""
    from wisesync.users.models import User, user_companies

    return list(db.session.scalars(
        select(User).join(user_companies, user_companies.c.user_id == User.id)
        .where(user_companies.c.company_id == company.id, User.account_id == company.account_id,
               User.role == "user")
        .order_by(User.last_name, User.first_name, User.id)))


def location_names(account_id: int) -> dict[int, str]:
    """Every pulled location of the account (also ones gone from the PSA): id → name."""
    from wisesync.psadata import list_locations

    return dict(list_locations(account_id, include_inactive=True))


def location_owners(account_id: int) -> dict[int, Company]:
    """PSA location id → the company that ticks it."""
    rows = db.session.execute(select(CompanyLocation.psa_location_id, Company)
                              .join(Company, Company.id == CompanyLocation.company_id)
                              .where(CompanyLocation.account_id == account_id))
    return {int(location): company for location, company in rows}


def catch_all_companies(account_id: int) -> list[Company]:
    """Companies with no location ticked: each takes every location no other company names.
    More than one is a conflict the company pages warn about (it can exist from before the
    first pull, when there was nothing to tick)."""
    no_locations = ~exists().where(CompanyLocation.company_id == Company.id)
    return list(db.session.scalars(select(Company).where(Company.account_id == account_id, no_locations)
                                   .order_by(Company.name_key)))


def company_for_location(account_id: int, location_id: int | None) -> Company | None:
    """The company a PSA location's (or Autotask level's) transactions go to: the one that ticks it, else
    the only company with none ticked; None when that is nobody (or ambiguous)."""
    if location_id is not None:
        owner = location_owners(account_id).get(int(location_id))
        if owner is not None:
            return owner
    catch_all = catch_all_companies(account_id)
    return catch_all[0] if len(catch_all) == 1 else None


def _check_name_free(account_id: int, name: str, exclude_id: int | None = None) -> None:
    query = select(Company.id).where(Company.account_id == account_id,
                                     Company.name_key == name.lower())
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise FieldError("name", NAME_TAKEN.format(name=name))


def _check_locations(account_id: int, chosen: set[int], exclude_id: int | None, terms: LocationTerms) -> None:
    """A location belongs to one company; at most one company ticks none (once there are
    pulled locations to tick)."""
    names = location_names(account_id)
    for location, owner in sorted(location_owners(account_id).items()):
        if location in chosen and owner.id != exclude_id:
            label = names.get(location, terms.named(location))
            raise FieldError("psa_locations", LOCATION_TAKEN.format(location=label, company=owner.name,
                                                                    one=terms.one))
    if chosen or not names:
        return
    others = [c for c in catch_all_companies(account_id) if c.id != exclude_id]
    if others:
        raise FieldError("psa_locations", ONE_CATCH_ALL.format(company=others[0].name, one=terms.one,
                                                               many=terms.many))


def _clean(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key == "psa_locations":
            out[key] = {int(v) for v in value or ()}
        else:
            out[key] = (value or "").strip() if isinstance(value, str) or value is None else value
    if "document_status" in out and out["document_status"] not in DOCUMENT_STATUSES:
        raise FieldError("document_status", "Choose Draft or Approved (AUTHORISED).")
    if "sync_schedule" in out and out["sync_schedule"] not in SYNC_SCHEDULES:
        raise FieldError("sync_schedule", "Choose manual, hourly or daily.")
    if "rounding_account" in out and not out["rounding_account"]:
        raise FieldError("rounding_account", "Enter the Xero account code rounding differences go to, e.g. 860.")
    return out


def _commit(name: str, terms: LocationTerms | None) -> None:
    # Two admins saving at once: the unique indexes catch what the checks missed.
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if "company_locations" in str(exc.orig):
            raise FieldError("psa_locations", RACE_TAKEN.format(
                many=(terms or LOCATION_TERMS["connectwise"]).many)) from None
        raise FieldError("name", NAME_TAKEN.format(name=name)) from None


def _set_locations(company: Company, chosen: set[int]) -> None:
    current = {loc.psa_location_id: loc for loc in company.locations}
    for psa_id, loc in current.items():
        if psa_id not in chosen:
            company.locations.remove(loc)
    for psa_id in sorted(chosen - set(current)):
        company.locations.append(CompanyLocation(account_id=company.account_id, psa_location_id=psa_id))


def _describe_locations(account_id: int, ids: set[int], terms: LocationTerms) -> str:
    if not ids:
        return f"none (every {terms.one} no other company names)"
    names = location_names(account_id)
    return ", ".join(f"{names.get(i, terms.named(i))} ({i})" for i in sorted(ids))


def create_company(account_id: int, *, name: str, sales_tax_code: str, purchase_tax_code: str,
                   sales_exempt_tax_code: str = "", purchase_exempt_tax_code: str = "",
                   psa_locations=(), document_status: str = "DRAFT", sync_schedule: str = "manual",
                   rounding_account: str = DEFAULT_ROUNDING_ACCOUNT, actor=None, ip: str = "") -> Company:
    """Add a company to the account. Raises :class:`FieldError` on ``name`` when the name is
    already used in this account (case-insensitively), on ``psa_locations`` when a location
    belongs to another company or another company already takes every location. Existing
    ``user``-role users are not granted the new company; admins can sync it at once."""
    values = _clean({"name": name, "sales_tax_code": sales_tax_code, "purchase_tax_code": purchase_tax_code,
                     "sales_exempt_tax_code": sales_exempt_tax_code,
                     "purchase_exempt_tax_code": purchase_exempt_tax_code, "document_status": document_status,
                     "sync_schedule": sync_schedule, "rounding_account": rounding_account,
                     "psa_locations": psa_locations})
    terms = location_terms(account_id)
    chosen = values.pop("psa_locations") if terms is not None else set()
    values.pop("psa_locations", None)
    _check_name_free(account_id, values["name"])
    if terms is not None:
        _check_locations(account_id, chosen, exclude_id=None, terms=terms)
    company = Company(account_id=account_id, name_key=values["name"].lower(), **values)
    _set_locations(company, chosen)
    db.session.add(company)
    record("company.created", account_id=account_id, actor=actor, ip=ip,
           detail=f"Company {company.name!r} created (taxable sales {company.sales_tax_code}, exempt "
                  f"sales {company.sales_exempt_tax_code or '-'}, taxable purchases "
                  f"{company.purchase_tax_code}, exempt purchases {company.purchase_exempt_tax_code or '-'}; "
                  f"{company.document_status}, {company.sync_schedule}, rounding {company.rounding_account}"
                  + (f"; {terms.many} {_describe_locations(account_id, chosen, terms)}" if terms else "")
                  + ")")
    _commit(company.name, terms)
    return company


def update_company(company: Company, *, name: str, sales_tax_code: str, purchase_tax_code: str,
                   actor=None, ip: str = "", **settings) -> list[str]:
    """Save the edit; returns what changed ("name: 'A' → 'B'"), empty when nothing did.

    ``settings`` may hold any of ``sales_exempt_tax_code``, ``purchase_exempt_tax_code``,
    ``document_status``, ``sync_schedule``, ``rounding_account``, ``psa_locations``
    (PSA location ids); left out means unchanged. Raises :class:`FieldError` like
    :func:`create_company`; nothing is saved then."""
    unknown = set(settings) - set(DEFAULTS) - {"psa_locations"}
    if unknown:
        raise TypeError(f"update_company() got unexpected settings {sorted(unknown)}")
    new = _clean({"name": name, "sales_tax_code": sales_tax_code, "purchase_tax_code": purchase_tax_code,
                  **settings})
    chosen = new.pop("psa_locations", None)
    terms = location_terms(company.account_id)
    if terms is None:
        chosen = None
    if new["name"].lower() != company.name_key:
        _check_name_free(company.account_id, new["name"], exclude_id=company.id)
    if chosen is not None:
        _check_locations(company.account_id, chosen, exclude_id=company.id, terms=terms)
    changes = [f"{FIELD_LABELS[key]}: {getattr(company, key)!r} → {value!r}"
               for key, value in new.items() if getattr(company, key) != value]
    if chosen is not None and chosen != company.location_ids:
        changes.append(f"PSA {terms.many}: {_describe_locations(company.account_id, company.location_ids, terms)} → "
                       f"{_describe_locations(company.account_id, chosen, terms)}")
    if not changes:
        return []
    for key, value in new.items():
        setattr(company, key, value)
    company.name_key = new["name"].lower()
    if chosen is not None:
        _set_locations(company, chosen)
    record("company.edited", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {new['name']!r}: " + "; ".join(changes))
    _commit(new["name"], terms)
    return changes


# -- deleting ------------------------------------------------------------------------------------

class CompanyInUse(Exception):
    """Something still refers to the company; ``reasons`` say what, in words."""

    def __init__(self, company_name: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(f"{company_name} cannot be deleted: " + "; ".join(reasons) + ".")


def _owned_tables() -> set[str]:
    """Tables whose rows are part of the company and go with it (deleted on cascade)."""
    return {"company_locations", "user_companies", "xero_connections"}


def delete_blockers(company: Company) -> list[str]:
    """What refers to ``company`` (users it is ticked for, its Xero connection, sync runs, ledger
    rows, anything else that names it), in words; empty: it can be deleted."""
    from wisesync.transactions.models import LedgerEntry, TransactionRun

    reasons = []
    users = [f"{u.first_name} {u.last_name}" for u in users_granted(company)]
    if users:
        reasons.append(f"it is ticked for {len(users)} user{'s' if len(users) != 1 else ''} "
                       f"({', '.join(users[:5])}{', …' if len(users) > 5 else ''}); untick it on their user pages")
    if company.xero is not None:
        reasons.append(f"it is connected to Xero{' (' + company.xero.tenant_name + ')' if company.xero.tenant_name else ''}; "
                       "disconnect Xero on this page first, so Xero revokes Wise-Sync's access")
    counted = {"transaction_runs": (TransactionRun, "sync run"), "ledger_entries": (LedgerEntry, "synced record")}
    for table, (model, noun) in counted.items():
        n = db.session.scalar(select(func.count()).select_from(model).where(model.company_id == company.id))
        if n:
            reasons.append(f"{n:,} {noun}{'s' if n != 1 else ''} in its sync history "
                           "(the history stays, so the company does too)")
    for table in db.metadata.sorted_tables:  # what other features store about the company
        if table.name in _owned_tables() or table.name in counted:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "companies":
                n = db.session.scalar(select(func.count()).select_from(table).where(fk.parent == company.id))
                if n:
                    reasons.append(f"{n:,} stored {table.name.replace('_', ' ')} record{'s' if n != 1 else ''}")
    return reasons


def delete_company(company: Company, *, actor, ip: str = "") -> None:
    """Delete a company nothing refers to (its locations go with it), audited; raises
    :class:`CompanyInUse` with what refers to it, and then changes nothing."""
    reasons = delete_blockers(company)
    if reasons:
        raise CompanyInUse(company.name, reasons)
    name, account_id = company.name, company.account_id
    db.session.delete(company)
    record("company.deleted", account_id=account_id, actor=actor, ip=ip, detail=f"Company {name!r} deleted")
    try:
        db.session.commit()
    except IntegrityError:  # something started referring to it meanwhile (a sync, a tick)
        db.session.rollback()
        raise CompanyInUse(name, ["something started using it while it was being deleted; look again"]) from None
