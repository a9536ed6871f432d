"""From an exported ConnectWise record to the Xero document that represents it (DESIGN §10.4).

Pure: plain data in (the ``GLExport`` dicts with ``Decimal`` money, :class:`CompanySettings`,
:class:`XeroCatalog`), plain data out (:class:`Mapped` with a document ready to PUT, or
:class:`Blocked` naming the record, the cause and the fix). No I/O, no Flask, no database.

Rules, and the choices made where DESIGN leaves one open:

- **Kinds.** ``invoiceType``/``billingType``/``documentType`` ``CreditMemo``, or a negative
  header total → ``credit`` (Xero ``ACCRECCREDIT`` credit note, positive amounts); other
  invoices → ``invoice`` (``ACCREC``); purchase transactions → ``procurement`` (``ACCPAY``).
- **Signs.** ConnectWise's legacy export writes revenue lines negative under a positive header
  (credit memos the other way round; purchase detail negative under a positive header), and
  whether REST keeps that is unverified. Every line is multiplied by the sign of the lines'
  own sum, so the document always comes out positive whichever convention the export uses,
  and a line that goes against the others (a discount) stays negative. A document whose lines
  sum to zero takes the sign from the quantities.
- **Lines.** Sales-tax lines (``glTypeId`` "ST") are dropped: Xero computes tax from the tax
  type. ``accountNumber`` → ``AccountCode`` (must be an active, postable account of the
  organisation); taxable → the company's taxable code, otherwise its exempt code (sales codes
  for invoices and credit notes, purchase codes for bills). Quantity and unit price to 4
  places, line amounts to 2, half away from zero (``ROUND_HALF_UP``, as Xero rounds). When
  quantity × price does not give the PSA's line total, the line is sent as quantity 1 at the
  line total, so the amount Xero books is always the PSA's.
- **Items.** The PSA item identifier → ``ItemCode`` when it is at most 30 characters (Xero's
  limit); longer → blocked, or the company's fallback item when one is set (the identifier is
  kept at the start of the description). Codes the organisation lacks are listed in
  ``Mapped.items`` for the run to create first.
- **Totals.** Σ line amounts + per-line tax at the organisation's rate (rounded to cents per
  line, as Xero does) is compared with the PSA total: a difference up to 0.05 becomes a
  "Rounding" line on the company's rounding account (no tax: the account's own zero-rate tax
  type, else the exempt code); more blocks the record with both totals.
- **Zero-total invoice**: pushed like any other (Xero accepts it; it keeps numbering in step,
  and the PSA batch takes it off the unposted list).
- **No GL entries** (no ``detail`` lines, or absent from the export): blocked — "close it with
  GL Reload in ConnectWise".
- **No billing contact** on the customer: blocked (DESIGN §10.5 lists it as a failure: Xero
  would get a contact nobody can send the invoice to). Vendors need none.
- **Dates**: a value at exactly midnight UTC is a ConnectWise date-only value and its date is
  taken as is (converting it would move US dates a day back); any other time is converted to
  the company's time zone first. Due date: ``dueDate``, else date + ``dueDays``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Mapping

ROUNDING_TOLERANCE = Decimal("0.05")
ITEM_CODE_MAX = 30
ITEM_NAME_MAX = 50
SALES_TAX_GL_TYPE = "ST"
KIND_WORDS = {"invoice": "Invoice", "credit": "Credit memo", "procurement": "Purchase order"}
XERO_TYPES = {"invoice": "ACCREC", "credit": "ACCRECCREDIT", "procurement": "ACCPAY"}
_Q4, _Q2 = Decimal("0.0001"), Decimal("0.01")
_ZERO = Decimal("0")
_APPLIES = {"REVENUE": "CanApplyToRevenue", "EXPENSE": "CanApplyToExpenses", "ASSET": "CanApplyToAssets",
            "LIABILITY": "CanApplyToLiabilities", "EQUITY": "CanApplyToEquity"}


# --- inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompanySettings:
    """The company's accounting settings the mapping needs (DESIGN §10.2)."""

    sales_tax_code: str
    sales_exempt_tax_code: str
    purchase_tax_code: str
    purchase_exempt_tax_code: str
    document_status: str = "DRAFT"
    rounding_account: str = "860"
    fallback_item_code: str = ""
    time_zone: str = ""  # IANA name, e.g. "Pacific/Auckland"; "" = UTC
    currency: str = ""  # the organisation's base currency, used when the PSA names none


@dataclass(frozen=True)
class XeroAccount:
    code: str
    type: str = ""  # REVENUE, DIRECTCOSTS, EXPENSE, BANK, CURRENT...
    klass: str = ""  # Xero's Class: REVENUE, EXPENSE, ASSET, LIABILITY, EQUITY
    status: str = "ACTIVE"
    tax_type: str = ""  # the account's default TaxType
    system: str = ""  # SystemAccount (DEBTORS, CREDITORS, GST...): not for document lines
    name: str = ""

    @property
    def postable(self) -> bool:
        return self.status == "ACTIVE" and self.type != "BANK" and not self.system


@dataclass(frozen=True)
class XeroTaxRate:
    tax_type: str
    rate: Decimal  # EffectiveRate, a percentage (15 = 15 %)
    status: str = "ACTIVE"
    applies_to: frozenset = frozenset({"REVENUE", "EXPENSE", "ASSET", "LIABILITY", "EQUITY"})
    name: str = ""


@dataclass(frozen=True)
class XeroCatalog:
    """What the organisation has: accounts by code, tax rates by TaxType, item codes."""

    accounts: Mapping[str, XeroAccount]
    tax_rates: Mapping[str, XeroTaxRate]
    item_codes: frozenset = frozenset()  # lower-cased (Xero matches codes case-insensitively)

    @classmethod
    def from_xero(cls, accounts: Iterable[dict], tax_rates: Iterable[dict],
                  items: Iterable[dict] = ()) -> XeroCatalog:
        """Built from Xero's own JSON (``GET Accounts``, ``TaxRates``, ``Items``)."""
        accts = {}
        for a in accounts:
            if a.get("Code"):
                accts[str(a["Code"])] = XeroAccount(
                    code=str(a["Code"]), type=a.get("Type") or "", klass=a.get("Class") or "",
                    status=a.get("Status") or "ACTIVE", tax_type=a.get("TaxType") or "",
                    system=a.get("SystemAccount") or "", name=a.get("Name") or "")
        rates = {}
        for r in tax_rates:
            applies = frozenset(k for k, flag in _APPLIES.items() if r.get(flag, True))
            rates[r["TaxType"]] = XeroTaxRate(
                tax_type=r["TaxType"], rate=_decimal(r.get("EffectiveRate")) or _ZERO,
                status=r.get("Status") or "ACTIVE", applies_to=applies, name=r.get("Name") or "")
        codes = frozenset(str(i["Code"]).lower() for i in items if i.get("Code"))
        return cls(accounts=accts, tax_rates=rates, item_codes=codes)


# --- outputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Blocked:
    """The record cannot go to Xero until someone fixes something: ``reason`` names the
    record and the cause, ``fix`` what to do (several problems are joined)."""

    reason: str
    fix: str
    problems: tuple = ()  # ((reason, fix), ...) when there were several

    def __bool__(self) -> bool:  # `if result:` reads "mapped"
        return False


@dataclass(frozen=True)
class Mapped:
    kind: str  # invoice / credit / procurement
    psa_id: str
    number: str
    xero_type: str  # ACCREC / ACCRECCREDIT / ACCPAY
    endpoint: str  # "Invoices" / "CreditNotes" (the PUT it goes to)
    document: dict  # ready to PUT (Decimals for amounts)
    contact: dict  # the Xero contact to create or update for the counterparty
    counterparty_id: str  # PSA company id of the customer / vendor
    counterparty: str  # its name
    total: Decimal  # the document total, = the PSA total
    tax: Decimal
    date: date | None
    currency: str
    gl_entry_ids: tuple = ()
    items: tuple = ()  # Xero items to create before the document ({Code, Name, Description})
    warnings: tuple = ()

    @property
    def number_key(self) -> str:
        return "CreditNoteNumber" if self.endpoint == "CreditNotes" else "InvoiceNumber"

    @property
    def fingerprint(self) -> dict:
        """What the payload hash should cover: the document as Xero gets it (so a change in
        the PSA record *or* in the company's mapping settings gives a new idempotency key),
        minus the contact reference, which changes from number+name to ContactID once linked
        and must not make a retried push look new."""
        document = {k: v for k, v in self.document.items() if k != "Contact"}
        contact = self.contact.get("ContactNumber") or self.contact.get("Name")
        return {"document": document, "contact": contact, "gl_entry_ids": list(self.gl_entry_ids)}


# --- small helpers ----------------------------------------------------------------------------

def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def q4(value: Decimal) -> Decimal:
    value = value.quantize(_Q4, rounding=ROUND_HALF_UP)
    return abs(value) if value == 0 else value  # never "-0.0000"


def q2(value: Decimal) -> Decimal:
    value = value.quantize(_Q2, rounding=ROUND_HALF_UP)
    return abs(value) if value == 0 else value


def _text(value, size: int | None = None) -> str:
    text = "" if value is None else str(value).strip()
    return text[:size] if size else text


def _ref(record: dict, key: str) -> dict:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def psa_date(value, time_zone: str = "") -> date | None:
    """A ConnectWise date/date-time string as the date in the company's time zone (see the
    module docstring on midnight-UTC values)."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                return date.fromisoformat(text[:10])
            except ValueError:
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    utc = moment.astimezone(timezone.utc)
    if (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0):
        return utc.date()
    return moment.astimezone(_zone(time_zone)).date()


def _zone(name: str):
    if not name:
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # unknown or missing tz data: UTC (the setting is checked where it is saved)
        return timezone.utc


def describe(kind: str, number: str, extra: str = "", psa: str = "connectwise") -> str:
    """"Invoice 10010", "Credit memo 10004", "Purchase order PO2004 (vendor invoice VINV-1)";
    an Autotask ``credit`` is a "Negative invoice" (Autotask has no credit memos)."""
    kind_words = "Negative invoice" if psa.lower() == "autotask" and kind == "credit" else KIND_WORDS.get(kind, kind.capitalize())
    words = f"{kind_words} {number}".strip()
    return f"{words} ({extra})" if extra else words


def record_kind(record: dict) -> str:
    """``credit`` or ``invoice`` for an unposted invoice or an exported transaction: a credit
    memo by type, or any invoice with a negative total."""
    types = {record.get("invoiceType"), record.get("billingType"), record.get("documentType")}
    total = _decimal(record.get("total"))
    return "credit" if "CreditMemo" in types or (total is not None and total < 0) else "invoice"


def gl_entry_ids(record: dict) -> tuple[int, ...]:
    """The GL entry ids a ConnectWise batch needs for this record: the header's ``glEntryIds``
    (a comma list) together with every detail line's id (sorted, without repeats)."""
    ids: set[int] = set()
    for part in str(record.get("glEntryIds") or "").split(","):
        if part.strip().isdigit():
            ids.add(int(part.strip()))
    for line in (record.get("detail") or record.get("purchaseDetail") or []):
        if isinstance(line.get("id"), int) and not isinstance(line.get("id"), bool):
            ids.add(line["id"])
    return tuple(sorted(ids))


def no_gl_entries(kind: str, psa_id, number: str = "") -> Blocked:
    """For a record the PSA lists as unposted that the export did not return (or returned
    without lines)."""
    name = describe(kind, number or str(psa_id))
    return Blocked(f"{name} has no GL entries in ConnectWise, so there is nothing to send to Xero.",
                   "Close it with GL Reload in ConnectWise (Finance > Accounting Interface > GL Reload), "
                   "then sync again.")


# --- contacts ---------------------------------------------------------------------------------

def billing_from_company(company: dict | None) -> dict | None:
    """A raw ConnectWise ``/company/companies/{id}`` record in the shape
    ``ConnectWiseAccounting.billing_contacts`` returns (None without a billing contact)."""
    if not company or not _ref(company, "billingContact").get("name"):
        return None
    return {"name": company["billingContact"]["name"], "email": company.get("invoiceToEmailAddress") or "",
            "phone": company.get("phoneNumber") or "",
            "address": {"line1": company.get("addressLine1") or "",
                        "line2": company.get("addressLine2") or "", "city": company.get("city") or "",
                        "region": company.get("state") or "",
                        "postal_code": company.get("zip") or "",
                        "country": _ref(company, "country").get("name") or ""}}


def _address(billing: dict | None) -> list[dict]:
    address = (billing or {}).get("address") or {}
    if not address.get("line1"):
        return []
    out = {"AddressType": "POBOX"}
    for key, xero_key, size in (("line1", "AddressLine1", 500), ("line2", "AddressLine2", 500),
                                ("city", "City", 255), ("region", "Region", 255),
                                ("postal_code", "PostalCode", 50), ("country", "Country", 50)):
        if address.get(key):
            out[xero_key] = _text(address[key], size)
    return [out]


def _person(name: str) -> dict:
    first, _, last = name.strip().partition(" ")
    return {k: v for k, v in (("FirstName", first[:255]), ("LastName", last.strip()[:255])) if v}


def _reach(contact: dict, person: str, billing: dict | None) -> dict:
    if person:
        contact.update(_person(person))
    if billing and billing.get("email"):
        contact["EmailAddress"] = _text(billing["email"], 255)
    if billing and billing.get("phone"):
        contact["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": _text(billing["phone"], 50)}]
    addresses = _address(billing)
    if addresses:
        contact["Addresses"] = addresses
    return contact


def customer_contact(customer: dict, billing: dict | None = None) -> dict:
    """A Xero contact from a ``GLExportCustomer`` and the company's billing details
    (``ConnectWiseAccounting.billing_contacts``' shape: name, email, address; the export's
    customer carries the contact's name only). ``ContactNumber`` is the PSA company identifier,
    which is how the next sync finds it again."""
    ref = _ref(customer, "company")
    contact = {"Name": _text(ref.get("name"), 255), "ContactNumber": _text(ref.get("identifier"), 50),
               "IsCustomer": True}
    if customer.get("accountNumber"):
        contact["AccountNumber"] = _text(customer["accountNumber"], 50)
    currency = _currency_code(customer)
    if currency:
        contact["DefaultCurrency"] = currency
    person = _ref(customer, "contact").get("name") or (billing or {}).get("name") or ""
    return _reach(contact, person, billing)


def vendor_contact(vendor: dict, billing: dict | None = None) -> dict:
    """A Xero supplier contact from a ``GLExportVendor`` (its ``vendor`` or ``company``
    reference; ``ContactNumber`` = the vendor's identifier)."""
    ref = _ref(vendor, "vendor") or _ref(vendor, "company")
    contact = {"Name": _text(ref.get("name"), 255),
               "ContactNumber": _text(ref.get("identifier") or vendor.get("vendorNumber"), 50),
               "IsSupplier": True}
    if vendor.get("accountNumber"):
        contact["AccountNumber"] = _text(vendor["accountNumber"], 50)
    return _reach(contact, _ref(vendor, "contact").get("name") or (billing or {}).get("name") or "", billing)


def _contact_ref(contact: dict, contact_id: str | None) -> dict:
    if contact_id:
        return {"ContactID": contact_id}
    return {k: contact[k] for k in ("ContactNumber", "Name") if contact.get(k)}


def _currency_code(record: dict) -> str:
    currency = _ref(record, "currency")
    return _text(currency.get("currencyCode") or currency.get("currencyIdentifier"), 3).upper()


# --- lines ------------------------------------------------------------------------------------

@dataclass
class _Work:
    """Collects one record's lines and problems."""

    name: str  # "Invoice 10010"
    settings: CompanySettings
    catalog: XeroCatalog
    sales: bool
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    items: dict = field(default_factory=dict)  # lower code → item dict to create
    psa: str = "ConnectWise"  # the PSA's name in messages
    account_fix: str = ("Add account {code} to the chart of accounts in Xero, or fix the GL account mapping in "
                        "ConnectWise (Setup Tables > GL Accounts) and GL Reload the record.")
    total_fix: str = ("Correct the invoice lines or tax in ConnectWise so they add up to its total, GL Reload "
                      "it, then sync again.")

    def problem(self, reason: str, fix: str) -> None:
        if (reason, fix) not in self.problems:
            self.problems.append((reason, fix))

    @property
    def taxable_code(self) -> str:
        return self.settings.sales_tax_code if self.sales else self.settings.purchase_tax_code

    @property
    def exempt_code(self) -> str:
        return self.settings.sales_exempt_tax_code if self.sales else self.settings.purchase_exempt_tax_code

    def account(self, code: str, what: str) -> XeroAccount | None:
        account = self.catalog.accounts.get(code)
        if account is None:
            self.problem(f"{self.name}: {what} uses GL account {code}, which the Xero organisation has no "
                         "account for.", self.account_fix.format(code=code))
            return None
        if not account.postable:
            self.problem(f"{self.name}: {what} uses GL account {code}, which is a bank, system or archived "
                         "account in Xero and cannot take document lines.",
                         "Fix the GL account mapping in ConnectWise so it names a revenue or expense "
                         f"account, or make {code} an active revenue/expense account in Xero.")
            return None
        return account

    def tax(self, tax_type: str, account: XeroAccount | None, what: str) -> XeroTaxRate | None:
        rate = self.catalog.tax_rates.get(tax_type) if tax_type else None
        if rate is None or rate.status != "ACTIVE":
            side = "sales" if self.sales else "purchases"
            code = tax_type or "(none)"
            self.problem(f"{self.name}: the company's {side} tax code {code} is not an active "
                         "tax rate in the Xero organisation.",
                         "Choose the company's tax codes again on its page (Companies) from the "
                         "organisation's active tax rates.")
            return None
        if account is not None and account.klass and account.klass not in rate.applies_to:
            self.problem(f"{self.name}: Xero does not allow tax code {tax_type} on account {account.code} "
                         f"({what}).",
                         f"Choose another tax code for the company, or change account {account.code}'s type "
                         "in Xero.")
            return None
        return rate

    def item_code(self, identifier: str, description: str) -> tuple[str, str]:
        """``(ItemCode or "", description)`` for a PSA item identifier."""
        if not identifier:
            return "", description
        if len(identifier) > ITEM_CODE_MAX:
            fallback = self.settings.fallback_item_code
            if fallback:
                self.warnings.append(f"{self.name}: item {identifier} is longer than Xero's {ITEM_CODE_MAX} "
                                     f"characters; sent as the fallback item {fallback}.")
                return self._known(fallback, fallback), f"{identifier}: {description}".strip(": ")
            self.problem(f"{self.name}: ConnectWise item {identifier} is {len(identifier)} characters; the "
                         f"item code is longer than Xero's {ITEM_CODE_MAX} characters.",
                         f"Shorten the product ID in ConnectWise to {ITEM_CODE_MAX} characters or fewer, or "
                         "set a fallback item on the company's page so such lines use it.")
            return "", description
        return self._known(identifier, description), description

    def _known(self, code: str, description: str) -> str:
        if code.lower() not in self.catalog.item_codes and code.lower() not in self.items:
            item = {"Code": code, "Name": (description or code)[:ITEM_NAME_MAX]}
            item["Description" if self.sales else "PurchaseDescription"] = description or code
            self.items[code.lower()] = item
        return code


def _raw_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if isinstance(line, dict)
            and str(line.get("glTypeId") or "").upper() != SALES_TAX_GL_TYPE]


def _orientation(lines: list[dict]) -> Decimal:
    """+1 or −1: what makes these lines' sum positive (see the module docstring)."""
    total = sum((_decimal(line.get("total")) or _ZERO for line in lines), _ZERO)
    if total:
        return Decimal(1) if total > 0 else Decimal(-1)
    quantity = sum((_decimal(line.get("quantity")) or _ZERO for line in lines), _ZERO)
    return Decimal(-1) if quantity < 0 else Decimal(1)


def _amounts(quantity: Decimal | None, price: Decimal | None,
             amount: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """``(Quantity, UnitAmount, LineAmount)`` that Xero's arithmetic turns into ``amount``."""
    amount = q2(amount)
    if quantity and price is not None and q4(quantity):  # 0.0000333 (Autotask's 7 places) is 0 at 4
        quantity = q4(quantity)
        sign = Decimal(1) if (amount >= 0) == (quantity > 0) else Decimal(-1)
        unit = q4(abs(price)) * sign
        if q2(quantity * unit) == amount:
            return quantity, unit, amount
        unit = q4(amount / quantity)
        if q2(quantity * unit) == amount:
            return quantity, unit, amount
    return Decimal("1.0000"), q4(amount), amount


def _line(work: _Work, raw: dict, factor: Decimal, number: int, *, cost_key: str, taxable_key: str) -> dict:
    description = _text(raw.get("itemDescription") or raw.get("description") or raw.get("salesDescription")
                        or raw.get("memo"), 4000)
    what = f"line {number}" + (f" ({description[:60]})" if description else "")
    amount = (_decimal(raw.get("total")) or _ZERO) * factor
    quantity = _decimal(raw.get("quantity"))
    quantity = quantity * factor if quantity is not None else None
    price = _decimal(raw.get(cost_key))
    qty, unit, line_amount = _amounts(quantity, price, amount)
    code = _text(raw.get("accountNumber"))
    account = work.account(code, what) if code else None
    if not code:
        work.problem(f"{work.name}: {what} has no GL account number.",
                     "Give the product or work type a GL account in ConnectWise (Setup Tables > GL Accounts) "
                     "and GL Reload the record.")
    taxable = bool(raw.get(taxable_key))
    tax_type = work.taxable_code if taxable else work.exempt_code
    rate = work.tax(tax_type, account, what)
    identifier = _text(_ref(raw, "item").get("identifier") or _ref(raw, "product").get("identifier"))
    item_code, description = work.item_code(identifier, description)
    line = {"Description": description or "(no description)", "Quantity": qty, "UnitAmount": unit,
            "AccountCode": code, "TaxType": tax_type, "LineAmount": line_amount}
    if item_code:
        line["ItemCode"] = item_code
    return line | {"_rate": rate.rate if rate else _ZERO}


def _finish(work: _Work, lines: list[dict], psa_total: Decimal) -> tuple[list[dict], Decimal, Decimal]:
    """Add the rounding line when needed; ``(lines, total, tax)`` as Xero will compute them."""
    def tax_of(line: dict) -> Decimal:
        return q2(line["LineAmount"] * line["_rate"] / Decimal(100))

    subtotal = sum((line["LineAmount"] for line in lines), _ZERO)
    tax = sum((tax_of(line) for line in lines), _ZERO)
    difference = q2(psa_total) - (subtotal + tax)
    if difference and abs(difference) <= ROUNDING_TOLERANCE and not work.problems:
        code = work.settings.rounding_account
        account = work.catalog.accounts.get(code)
        if account is None or not account.postable:
            work.problem(f"{work.name}: its total differs from Xero's by {difference} and needs a rounding "
                         f"line, but the company's rounding account {code} is not an account the Xero "
                         "organisation can post to.",
                         "Set the rounding account on the company's page to an account that exists in Xero "
                         "(Xero's own is 860 Rounding).")
        else:
            zero = work.catalog.tax_rates.get(account.tax_type)
            usable = zero is not None and zero.status == "ACTIVE" and zero.rate == 0 and (
                not account.klass or account.klass in zero.applies_to)
            tax_type = account.tax_type if usable else work.exempt_code
            work.tax(tax_type, account, "the rounding line")
            lines.append({"Description": f"Rounding (to match the {work.psa} total)",
                          "Quantity": Decimal("1.0000"), "UnitAmount": q4(difference), "AccountCode": code,
                          "TaxType": tax_type, "LineAmount": difference, "_rate": _ZERO})
            subtotal += difference
    elif difference and not work.problems:
        work.problem(f"{work.name}: {work.psa}'s total is {q2(psa_total)} but its lines come to "
                     f"{q2(subtotal + tax)} in Xero (a difference of {difference}, more than the "
                     f"{ROUNDING_TOLERANCE} a rounding line may cover).", work.total_fix)
    for line in lines:
        line.pop("_rate", None)
    return lines, subtotal + tax, tax


def _blocked(work: _Work) -> Blocked:
    problems = tuple(work.problems)
    if len(problems) == 1:
        return Blocked(problems[0][0], problems[0][1], problems)
    reasons = " ".join(reason if reason.startswith(work.name) else f"{work.name}: {reason}"
                       for reason, _ in problems)
    fixes = " ".join(dict.fromkeys(fix for _, fix in problems))
    return Blocked(reasons, fixes, problems)


def _dates(record: dict, settings: CompanySettings, keys: tuple[str, ...]) -> tuple[date | None, date | None]:
    issued = next((psa_date(record.get(k), settings.time_zone) for k in keys if record.get(k)), None)
    due = psa_date(record.get("dueDate"), settings.time_zone)
    days = record.get("dueDays")
    if due is None and issued is not None and type(days) is int and days >= 0:
        due = issued + timedelta(days=days)
    return issued, due


# --- documents --------------------------------------------------------------------------------

def map_invoice(transaction: dict, customer: dict | None, settings: CompanySettings, catalog: XeroCatalog, *,
                contact_id: str | None = None, billing: dict | None = None) -> Mapped | Blocked:
    """A ``GLExportTransaction`` (with ``detail[]``) and its ``GLExportCustomer`` → an ACCREC
    invoice, or an ACCRECCREDIT credit note for a credit memo / negative total."""
    kind = record_kind(transaction)
    number = _text(transaction.get("documentNumber")) or str(transaction.get("id"))
    work = _Work(describe(kind, number), settings, catalog, sales=True)
    raw = _raw_lines(transaction.get("detail") or [])
    if not raw:
        return no_gl_entries(kind, transaction.get("id"), number)
    ref = _ref(transaction, "company")
    customer = customer or {"company": ref}
    if not _ref(customer, "contact") and not (billing or {}).get("name"):
        who = ref.get("name") or "the customer"
        work.problem(f"{work.name}: {who} has no billing contact in ConnectWise.",
                     "Set a billing contact on the company in ConnectWise (Company > Billing Information), "
                     "then sync again.")
    factor = _orientation(raw)
    lines = [_line(work, line, factor, n, cost_key="itemPrice", taxable_key="taxableFlag")
             for n, line in enumerate(raw, start=1)]
    psa_total = abs(_decimal(transaction.get("total")) or _ZERO)
    lines, total, tax = _finish(work, lines, psa_total)
    if work.problems:
        return _blocked(work)
    issued, due = _dates(transaction, settings, ("documentDate",))
    contact = customer_contact(customer, billing)
    currency = _currency_code(transaction) or settings.currency
    document = {"Type": XERO_TYPES[kind], "Contact": _contact_ref(contact, contact_id),
                "LineAmountTypes": "Exclusive", "Status": settings.document_status, "LineItems": lines}
    document["CreditNoteNumber" if kind == "credit" else "InvoiceNumber"] = number
    reference = _text(_ref(transaction, "purchaseOrder").get("name"), 255)
    if reference:
        document["Reference"] = reference
    if issued:
        document["Date"] = issued.isoformat()
    if due and kind == "invoice":
        document["DueDate"] = due.isoformat()
    if currency:
        document["CurrencyCode"] = currency
    return Mapped(kind=kind, psa_id=str(transaction.get("id")), number=number, xero_type=XERO_TYPES[kind],
                  endpoint="CreditNotes" if kind == "credit" else "Invoices", document=document,
                  contact=contact, counterparty_id=str(ref.get("id", "")),
                  counterparty=_text(ref.get("name")),
                  total=total, tax=tax, date=issued, currency=currency,
                  gl_entry_ids=gl_entry_ids(transaction), items=tuple(work.items.values()),
                  warnings=tuple(work.warnings))


def map_purchase(purchase: dict, vendor: dict | None, settings: CompanySettings, catalog: XeroCatalog, *,
                 contact_id: str | None = None, billing: dict | None = None) -> Mapped | Blocked:
    """A ``GLExportPurchaseTransaction`` and its ``GLExportVendor`` → an ACCPAY bill: the
    vendor's invoice number as the number (the PO number when there is none), the PO number
    as the reference, the purchase tax codes, and a freight line for ``freightAmount``."""
    po = _text(purchase.get("documentNumber")) or str(purchase.get("id"))
    number = _text(purchase.get("vendorInvoiceNumber")) or po
    extra = f"vendor invoice {purchase['vendorInvoiceNumber']}" if purchase.get("vendorInvoiceNumber") else ""
    work = _Work(describe("procurement", po, extra), settings, catalog, sales=False)
    raw = _raw_lines(purchase.get("purchaseDetail") or [])
    if not raw:
        return no_gl_entries("procurement", purchase.get("id"), po)
    factor = _orientation(raw)
    lines = [_line(work, line, factor, n, cost_key="cost", taxable_key="taxable")
             for n, line in enumerate(raw, start=1)]
    freight = _decimal(purchase.get("freightAmount")) or _ZERO
    if freight and lines:
        code = lines[0]["AccountCode"]
        taxable = bool(purchase.get("purchaseHeaderFreightTaxableFlag"))
        tax_type = work.taxable_code if taxable else work.exempt_code
        rate = work.tax(tax_type, work.catalog.accounts.get(code), "the freight line")
        amount = q2(abs(freight))
        lines.append({"Description": f"Freight {po}".strip(), "Quantity": Decimal("1.0000"),
                      "UnitAmount": q4(amount), "AccountCode": code, "TaxType": tax_type,
                      "LineAmount": amount, "_rate": rate.rate if rate else _ZERO})
    psa_total = abs(_decimal(purchase.get("total")) or _ZERO)
    lines, total, tax = _finish(work, lines, psa_total)
    if work.problems:
        return _blocked(work)
    issued, due = _dates(purchase, settings, ("vendorInvoiceDate", "purchaseDate", "documentDate"))
    vendor = vendor or {"vendor": _ref(purchase, "company"), "vendorNumber": purchase.get("vendorNumber")}
    contact = vendor_contact(vendor, billing)
    ref = _ref(vendor, "vendor") or _ref(vendor, "company") or _ref(purchase, "company")
    currency = _currency_code(purchase) or settings.currency
    document = {"Type": "ACCPAY", "Contact": _contact_ref(contact, contact_id), "InvoiceNumber": number,
                "Reference": po, "LineAmountTypes": "Exclusive", "Status": settings.document_status,
                "LineItems": lines}
    if issued:
        document["Date"] = issued.isoformat()
    if due:
        document["DueDate"] = due.isoformat()
    if currency:
        document["CurrencyCode"] = currency
    return Mapped(kind="procurement", psa_id=str(purchase.get("id")), number=number, xero_type="ACCPAY",
                  endpoint="Invoices", document=document, contact=contact,
                  counterparty_id=str(ref.get("id", "")), counterparty=_text(ref.get("name")), total=total,
                  tax=tax, date=issued, currency=currency,
                  gl_entry_ids=gl_entry_ids(purchase), items=tuple(work.items.values()),
                  warnings=tuple(work.warnings))


def map_export(export: dict, settings: CompanySettings, catalog: XeroCatalog, *,
               contact_ids: Mapping | None = None, billing: Mapping | None = None,
               expected: Iterable[tuple] = ()) -> dict[tuple[str, str], Mapped | Blocked]:
    """Every record of one ``GLExport`` by ``(kind, psa_id)``. ``contact_ids``: PSA company id →
    linked Xero ContactID; ``billing``: PSA company id → billing details (as
    ``ConnectWiseAccounting.billing_contacts`` returns them); ids may be ints or strings.
    ``expected``: the ``(kind, psa_id[, number])`` that were asked for — any the export did not
    return comes back blocked as having no GL entries."""
    contact_ids = {str(k): v for k, v in (contact_ids or {}).items()}
    billing = {str(k): v for k, v in (billing or {}).items()}
    customers = {str(_ref(c, "company").get("id")): c for c in export.get("customers") or []}
    vendors = {str((_ref(v, "vendor") or _ref(v, "company")).get("id")): v
               for v in export.get("vendors") or []}
    out: dict[tuple[str, str], Mapped | Blocked] = {}
    for tx in export.get("transactions") or []:
        cid = str(_ref(tx, "company").get("id"))
        out[(record_kind(tx), str(tx.get("id")))] = map_invoice(
            tx, customers.get(cid), settings, catalog, contact_id=contact_ids.get(cid),
            billing=billing.get(cid))
    for po in export.get("purchaseTransactions") or []:
        vid = str(_ref(po, "company").get("id"))
        out[("procurement", str(po.get("id")))] = map_purchase(
            po, vendors.get(vid), settings, catalog, contact_id=contact_ids.get(vid),
            billing=billing.get(vid))
    exported = {(kind == "procurement", psa_id) for kind, psa_id in out}
    for kind, psa_id, *number in expected:
        if (kind == "procurement", str(psa_id)) not in exported:
            out[(kind, str(psa_id))] = no_gl_entries(kind, psa_id, number[0] if number else "")
    return out
