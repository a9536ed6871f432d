"""The simulated ConnectWise's mutable accounting state, attached to the simulator as
``state.cw_books``: accounting batches (which GL entries they took, who made them), invoice
payments and member impersonation tokens. Everything else is seeded (``cw_ledger_data``).

``reset()`` restores the seed (``POST /_sim/reset`` calls it). Thread-safe: the simulator
serves requests on threads.

A record (invoice or procurement) is *posted* once every GL entry it owns is in some batch;
it then leaves the unposted lists, the export and SOAP ``GetUnpostedInvoices``. Deleting the
batch un-posts it.
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from wisesync.simulator import cw_data
from wisesync.simulator import cw_ledger_data as ledger

# Who ConnectWise records when the API member's own keys (demo.CW_PUBLIC_KEY) sign the call.
API_MEMBER = "WiseSyncAPI"
# Lifetime of a member impersonation token. ConnectWise answers an ``expiration``; how long it
# is: UNVERIFIED.
TOKEN_LIFETIME = timedelta(hours=4)


class BooksError(Exception):
    """A refusal, answered as ConnectWise's error body ``{"code","message","errors"}``."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or []


def invalid(resource: str, field_name: str, code: str, message: str) -> BooksError:
    """ConnectWise's shape for a refused object: ``"<resource> object is invalid"``."""
    return BooksError(400, "InvalidObject", f"{resource} object is invalid",
                      [{"code": code, "message": message, "resource": resource, "field": field_name}])


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class Batch:
    id: int
    identifier: str
    entries: list[int]
    invoices: set[int]
    procurement: set[int]
    export_invoices: bool
    export_expenses: bool
    export_products: bool
    actor: str
    when: datetime

    def as_json(self) -> dict:
        stamp = cw_data.stamp(self.when)
        return {"id": self.id, "batchIdentifier": self.identifier, "closedFlag": False,
                "exportInvoicesFlag": self.export_invoices, "exportExpensesFlag": self.export_expenses,
                "exportProductsFlag": self.export_products,
                "_info": {"lastUpdated": stamp, "updatedBy": self.actor, "dateEntered": stamp,
                          "enteredBy": self.actor}}


@dataclass
class Token:
    public_key: str
    private_key: str
    member: str
    expires: datetime


@dataclass
class CwBooks:
    sizes: object = field(repr=False)  # the SimState: ``size(kind)``
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.batches: dict[int, Batch] = {}
            self.next_batch = 1
            self.entry_batch: dict[int, int] = {}
            self.posted_invoices: set[int] = set()
            self.posted_procurement: set[int] = set()
            self.payments: dict[int, list[dict]] = {}
            self.next_payment = 1
            self.tokens: dict[str, Token] = {}

    # -- sizes ------------------------------------------------------------------------------
    @property
    def invoice_count(self) -> int:
        return self.sizes.size("invoices")

    @property
    def procurement_count(self) -> int:
        return self.sizes.size("procurement")

    @property
    def companies(self) -> int:
        return self.sizes.size("companies")

    def invoice_exists(self, i: int) -> bool:
        return isinstance(i, int) and 1 <= i <= self.invoice_count

    def procurement_exists(self, j: int) -> bool:
        return isinstance(j, int) and 1 <= j <= self.procurement_count

    # -- posted state -----------------------------------------------------------------------
    def posted(self) -> tuple[frozenset[int], frozenset[int]]:
        with self.lock:
            return frozenset(self.posted_invoices), frozenset(self.posted_procurement)

    def _recompute(self, kind: str, index: int) -> None:
        owned = ledger.invoice_entry_ids(index) if kind == "invoice" else ledger.procurement_entry_ids(index)
        target = self.posted_invoices if kind == "invoice" else self.posted_procurement
        if owned and all(e in self.entry_batch for e in owned):
            target.add(index)
        else:
            target.discard(index)

    # -- batches ----------------------------------------------------------------------------
    def create_batch(self, identifier: str, entry_ids: list, *, invoices: bool, expenses: bool,
                     products: bool, actor: str) -> Batch:
        """Refuses (``BooksError`` 400) a repeated identifier, an empty list, an id that is no
        GL entry of an existing record, an entry already batched, or an entry of a kind the
        flags leave out. All or nothing."""
        resource = "accountingBatch"
        if not (invoices or expenses or products):
            raise invalid(resource, "exportInvoicesFlag", "InvalidField",
                          "Batch must export Invoices, Expenses or Products.")
        if not isinstance(entry_ids, list) or not entry_ids:
            raise invalid(resource, "processedRecordIds", "MissingRequiredField",
                          "processedRecordIds is required.")
        with self.lock:
            if any(b.identifier.lower() == identifier.lower() for b in self.batches.values()):
                # ConnectWise refuses a repeated identifier (Zynk: "if an existing batch
                # identifier is provided then this will be rejected"); its wording: UNVERIFIED.
                raise invalid(resource, "batchIdentifier", "InvalidField",
                              f"Batch Identifier {identifier} already exists.")
            owners: dict[int, tuple[str, int]] = {}
            for entry in entry_ids:
                whole = isinstance(entry, int) and not isinstance(entry, bool)
                owner = ledger.entry_owner(entry) if whole else None
                exists = owner and (self.invoice_exists(owner[1]) if owner[0] == "invoice"
                                    else self.procurement_exists(owner[1]))
                if not exists:
                    raise invalid(resource, "processedRecordIds", "NotFound",
                                  f"GL entry {entry} was not found.")
                if entry in self.entry_batch:
                    taken = self.batches[self.entry_batch[entry]].identifier
                    raise invalid(resource, "processedRecordIds", "InvalidField",
                                  f"GL entry {entry} is already in batch {taken}.")
                if owner[0] == "invoice" and not invoices or owner[0] == "procurement" and not products:
                    flag = "exportInvoicesFlag" if owner[0] == "invoice" else "exportProductsFlag"
                    raise invalid(resource, flag, "InvalidField",
                                  f"GL entry {entry} is not included: set {flag} to batch it.")
                owners[entry] = owner
            batch = Batch(self.next_batch, identifier, list(dict.fromkeys(entry_ids)),
                          {i for k, i in owners.values() if k == "invoice"},
                          {j for k, j in owners.values() if k == "procurement"},
                          invoices, expenses, products, actor, now())
            self.next_batch += 1
            self.batches[batch.id] = batch
            for entry in batch.entries:
                self.entry_batch[entry] = batch.id
            for kind, index in set(owners.values()):
                self._recompute(kind, index)
            return batch

    def delete_batch(self, batch_id: int) -> bool:
        """Un-post: the batch's records come back to the unposted lists. False if unknown."""
        with self.lock:
            batch = self.batches.pop(batch_id, None)
            if batch is None:
                return False
            for entry in batch.entries:
                self.entry_batch.pop(entry, None)
            for i in batch.invoices:
                self._recompute("invoice", i)
            for j in batch.procurement:
                self._recompute("procurement", j)
            return True

    def batch(self, batch_id: int) -> Batch | None:
        with self.lock:
            return self.batches.get(batch_id)

    def batch_list(self) -> list[Batch]:
        with self.lock:
            return list(self.batches.values())

    # -- payments ---------------------------------------------------------------------------
    def invoice_total(self, i: int) -> Decimal:
        return Decimal(str(ledger.unposted_invoice(i, self.companies)["total"]))

    def payments_for(self, i: int) -> list[dict]:
        with self.lock:
            return list(self.payments.get(i, []))

    def add_payment(self, i: int, amount: Decimal, payment_type: str, date: str, actor: str) -> dict:
        """One payment per invoice (Zynk: "ConnectWise only allow a single payment per
        invoice"); the refusal wording is UNVERIFIED."""
        resource = "payment"
        total = self.invoice_total(i)
        with self.lock:
            if self.payments.get(i):
                raise invalid(resource, "invoice", "InvalidField",
                              "Only one payment can be applied to an invoice.")
            if total <= 0:
                raise invalid(resource, "amount", "InvalidField",
                              "A payment can only be applied to an invoice with a balance.")
            if amount <= 0 or amount > total:
                raise invalid(resource, "amount", "InvalidField",
                              f"amount must be more than 0 and at most the balance {total:.2f}.")
            record = {"id": self.next_payment, "type": payment_type, "amount": float(amount),
                      "paymentDate": date, "appliedBy": actor, "source": "Default",
                      "invoice": {"id": i, "identifier": f"{i + 10000}",
                                  "billingType": ledger.invoice_type(i)},
                      "invoiceTotal": float(total), "invoiceBalance": float(total - amount),
                      "balance": float(total - amount),
                      "_info": {"lastUpdated": cw_data.stamp(now()), "updatedBy": actor}}
            self.next_payment += 1
            self.payments.setdefault(i, []).append(record)
            return record

    # -- member tokens ----------------------------------------------------------------------
    def issue_token(self, member: str) -> Token:
        token = Token(secrets.token_hex(8), secrets.token_hex(8), member, now() + TOKEN_LIFETIME)
        with self.lock:
            self.tokens[token.public_key] = token
        return token

    def member_for(self, public_key: str, private_key: str) -> str | None:
        """The member a token's keys sign in as, if they are valid and unexpired."""
        with self.lock:
            token = self.tokens.get(public_key)
        if token is None or not secrets.compare_digest(token.private_key, private_key):
            return None
        return token.member if token.expires > now() else None


def books_for(state) -> CwBooks:
    """``state.cw_books``, created on first use."""
    books = getattr(state, "cw_books", None)
    if books is None:
        books = state.cw_books = CwBooks(state)
    return books
