"""The PSA side of a payment run: what the invoice already holds, and the one write.

Both sides answer :meth:`existing` (the payments the PSA shows on the invoice now) and
:meth:`write`. The run always reads before it writes: ConnectWise payments carry no
idempotency key, so after a crash (or a lost answer) the only proof that a payment went in is
finding it on the invoice — a payment of the amount Wise-Sync was recording is taken as its
own, anything else as someone else's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from wisesync.psa.errors import PsaAuthError, PsaConfigError, PsaPermissionError

# After these no other invoice of the run can succeed either: the run stops with the fix.
STOPPING = (PsaPermissionError, PsaAuthError, PsaConfigError)


@dataclass(frozen=True)
class Existing:
    psa_payment_id: int | None
    amount: Decimal | None  # None: the PSA keeps no amount (Autotask)
    day: date | None


class ConnectWiseSide:
    """``GET`` / ``POST /finance/invoices/{id}/payments`` (right: Finance > Invoicing)."""

    psa = "connectwise"
    name = "ConnectWise"

    def __init__(self, books, payment_type: str = "Check"):
        self.books = books  # a ConnectWiseAccounting
        self.payment_type = payment_type

    def existing(self, invoice_id: str) -> list[Existing]:
        return [Existing(p.get("id"), _amount(p.get("amount")), _day(p.get("paymentDate")))
                for p in self.books.payments(int(invoice_id))]

    def matches(self, found: Existing, amount: Decimal) -> bool:
        return found.amount is not None and found.amount == amount

    def write(self, invoice_id: str, amount: Decimal, day: date) -> int | None:
        answer = self.books.post_payment(int(invoice_id), amount, day, self.payment_type)
        return answer.get("id") if isinstance(answer, dict) else None

    def holds(self, found: Existing) -> str:
        return f"a payment of {found.amount:,.2f}" if found.amount is not None else "a payment"


class AutotaskSide:
    """The invoice's ``paidDate`` (:class:`~wisesync.psa.autotask_payments.AutotaskPayments`)."""

    psa = "autotask"
    name = "Autotask"

    def __init__(self, payments):
        self.payments = payments  # an AutotaskPayments

    def existing(self, invoice_id: str) -> list[Existing]:
        paid = self.payments.paid_date(int(invoice_id))
        return [Existing(None, None, paid)] if paid else []

    def matches(self, found: Existing, amount: Decimal) -> bool:
        return True  # a paid date is a paid date: whoever set it, the invoice is paid

    def write(self, invoice_id: str, amount: Decimal, day: date) -> None:
        self.payments.set_paid_date(int(invoice_id), day)
        return None

    def holds(self, found: Existing) -> str:
        return f"the paid date {found.day:%d %b %Y}" if found.day else "a paid date"


def side_for(account, user=None):
    """The PSA side for ``account``, with the identity a sync by ``user`` would use (ConnectWise:
    their own keys, impersonating their member, so ConnectWise records who applied the payment);
    returns ``(side, identity label)``. May raise any ``PsaError``."""
    if account.psa_type == "autotask":
        from wisesync.integrations.clients import account_autotask_client
        from wisesync.psa.autotask_payments import AutotaskPayments

        return AutotaskSide(AutotaskPayments(account_autotask_client(account))), \
            "the Autotask API user in Integration Settings"
    from wisesync.transactions.identity import choose
    from wisesync.transactions.reading import books_for

    identity = choose(account, user)
    return ConnectWiseSide(books_for(account, identity, impersonate=True)), identity.label


def identity_label(account, user=None) -> str:
    if account.psa_type == "autotask":
        return "the Autotask API user in Integration Settings"
    from wisesync.transactions.identity import choose

    return choose(account, user).label


def _amount(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _day(value) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None
