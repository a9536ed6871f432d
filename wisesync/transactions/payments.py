"""Payments back from Xero to the PSA: the rules, as pure functions (data in, decision out).

What a payment run does with each synced invoice is decided here from three things only: the
invoice as Xero shows it now (``Status``, ``Total``, ``AmountPaid``, ``AmountDue``,
``AmountCredited``, ``Payments[]``), its ledger row (``kind`` ``invoice``: the PSA total and
number) and its payment row (``kind`` ``payment``, the same ``psa_id``: what was recorded in
the PSA). Matching is by the ledger only — the Xero document id of a synced invoice — never by
guessing from numbers or amounts.

**One PSA payment per invoice.** ConnectWise takes a single payment per invoice (Zynk's
ConnectWise documentation: "ConnectWise only allow a single payment per invoice"; the simulator
refuses a second) and Autotask keeps only a paid date. So the PSA gets one write per invoice —
the invoice's payment row — recorded once Xero shows the invoice **paid in full**: ConnectWise a
payment of the amount paid in Xero, dated the day it was fully paid; Autotask that day as the
invoice's ``paidDate``. The rules an MSP's finance person can rely on:

- **Partial payment**: nothing is written to the PSA yet; the payment row is ``waiting`` with
  "40.00 of 115.00 paid in Xero". When the last payment arrives the whole amount is recorded as
  one payment. (Posting the first part would leave ConnectWise unable to take the rest, and
  Autotask has no partial state.)
- **Over-payment**: Xero refuses a payment above the amount due, so "over" means Xero shows
  more paid than the PSA total the invoice was synced with (the Xero invoice was edited after
  the sync). The PSA total is recorded — the invoice is paid there, as in Xero — and the
  difference is named on the row for a person to check; nothing above the PSA total is sent
  (ConnectWise refuses a payment above the balance).
- **Deleted in Xero before it was recorded**: the row is dropped (nothing was sent).
  **Deleted after it was recorded**: Wise-Sync does not undo a payment in the PSA (the
  ConnectWise contract it is built on has no payment DELETE, and a bounced payment is a
  decision for a person); the row keeps ``posted`` and gets the reason and the fix — remove the
  payment on invoice N in ConnectWise, clear the paid date in Autotask — and the run lists it
  as ``blocked``. The same when Xero later shows a different paid total than was recorded.
- **Credit notes** allocated to the invoice in Xero are not payments: they are left for a
  person to apply to the invoice in the PSA (Wise-Sync's own rule: "no way … to interact with
  the application of credit memos"). An invoice settled partly by credit notes is recorded
  with the amount actually paid, with a note; one settled only by credit notes is listed,
  nothing recorded. Refunds of credit notes, over- and prepayment refunds and bill payments
  are listed as ignored with the reason.
- **Voided** in Xero after the sync: nothing is recorded; a payment already recorded is
  flagged like a deleted one.

:func:`decide` gives the decision for one invoice; :func:`ignored_reason` says why a Xero
payment is not on any invoice the portal synced.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wisesync.accounting.xero import parse_ms_date

ZERO = Decimal("0")
RECORD, WAIT, NOTHING, FLAG, FORGET = "record", "wait", "nothing", "flag", "forget"
PSA_NAMES = {"connectwise": "ConnectWise", "autotask": "Autotask"}
_IGNORED_TYPES = {
    "ARCREDITPAYMENT": "is a refund of a credit note; Wise-Sync does not record refunds in the PSA",
    "APCREDITPAYMENT": "is a refund from a supplier; Wise-Sync does not record refunds in the PSA",
    "AROVERPAYMENTPAYMENT": "refunds an overpayment; Wise-Sync does not record refunds in the PSA",
    "ARPREPAYMENTPAYMENT": "refunds a prepayment; Wise-Sync does not record refunds in the PSA",
    "APPREPAYMENTPAYMENT": "is a supplier prepayment; only customer invoices' payments go to the PSA",
    "APOVERPAYMENTPAYMENT": "is a supplier overpayment; only customer invoices' payments go to the PSA",
    "ACCPAYPAYMENT": "pays a bill; only customer invoices' payments go to the PSA",
}


@dataclass(frozen=True)
class Decision:
    """``action``: :data:`RECORD` (write ``amount`` dated ``day`` to the PSA), :data:`WAIT`
    (row ``waiting``), :data:`NOTHING`, :data:`FLAG` (a recorded payment no longer matches
    Xero: reason and fix on the row) or :data:`FORGET` (drop a row that never reached the PSA).
    ``note`` (with RECORD) is kept on the row as a warning: over-payment, credit notes.
    ``quiet``: nothing happened worth listing in the run (an invoice not paid yet)."""

    action: str
    message: str = ""
    fix: str = ""
    amount: Decimal = ZERO
    day: date | None = None
    note: str = ""
    quiet: bool = False


def money(value) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def fmt(value: Decimal) -> str:
    return f"{value:,.2f}"


def payment_day(payment: dict) -> date | None:
    moment = parse_ms_date(payment.get("Date"))
    return moment.date() if moment else None


def paid_in_full_on(invoice: dict) -> date | None:
    """The day the invoice was fully paid: ``FullyPaidOnDate``, else its latest payment's date."""
    moment = parse_ms_date(invoice.get("FullyPaidOnDate")) if invoice.get("FullyPaidOnDate") else None
    if moment:
        return moment.date()
    days = [d for d in (payment_day(p) for p in invoice.get("Payments") or []) if d]
    return max(days) if days else None


def _where(psa: str, number: str) -> str:
    if psa == "autotask":
        return f"clear the paid date of invoice {number} in Autotask (Invoices > {number} > Edit)"
    return f"delete the payment on invoice {number} in ConnectWise (Finance > Invoices > {number} > Payments)"


def decide(invoice: dict, *, psa: str, number: str, psa_total: Decimal, recorded: Decimal | None,
           waiting: bool = False) -> Decision:
    """What to do with one synced invoice. ``invoice`` is Xero's; ``psa_total`` the total the
    invoice was synced with; ``recorded`` the amount already recorded in the PSA (None when
    nothing was); ``waiting`` whether its row exists without having reached the PSA."""
    name = PSA_NAMES.get(psa, psa)
    status = str(invoice.get("Status") or "")
    paid, due = money(invoice.get("AmountPaid")), money(invoice.get("AmountDue"))
    credited, total = money(invoice.get("AmountCredited")), money(invoice.get("Total"))
    psa_total = money(psa_total)
    count = len(invoice.get("Payments") or [])
    if recorded is not None:
        if status in ("VOIDED", "DELETED"):
            return Decision(FLAG, f"Invoice {number} was voided in Xero after Wise-Sync recorded its payment of "
                                  f"{fmt(recorded)} in {name}.",
                            f"If the customer did not pay, {_where(psa, number)}.")
        if paid == recorded or (psa == "autotask" and due == ZERO and paid > ZERO):
            return Decision(NOTHING, f"Invoice {number}: the payment of {fmt(recorded)} was already recorded in {name}.",
                            quiet=True)
        if paid < recorded:
            now = "no payment" if paid == ZERO else f"only {fmt(paid)} paid"
            return Decision(FLAG, f"A payment on invoice {number} was deleted in Xero after Wise-Sync recorded "
                                  f"{fmt(recorded)} in {name}; Xero now shows {now}.",
                            f"If the customer did not pay, {_where(psa, number)}; Wise-Sync records it again "
                            f"once Xero shows the invoice paid in full.")
        if recorded == psa_total:
            return Decision(NOTHING, f"Invoice {number}: {fmt(paid)} paid in Xero, {fmt(recorded)} (the {name} total) "
                                     f"already recorded.", quiet=True)
        return Decision(FLAG, f"Xero now shows {fmt(paid)} paid on invoice {number}, but Wise-Sync recorded "
                              f"{fmt(recorded)} in {name}.",
                        f"Correct the payment on invoice {number} in {name} by hand to {fmt(min(paid, psa_total))}.")
    if status in ("VOIDED", "DELETED"):
        return Decision(FORGET if waiting else NOTHING, f"Invoice {number} was voided in Xero; nothing was recorded in {name}.")
    if paid > ZERO and due == ZERO:
        notes = []
        amount = paid
        if paid > psa_total:
            amount = psa_total
            notes.append(f"Xero shows {fmt(paid)} paid, {fmt(paid - psa_total)} more than the {name} total of "
                         f"{fmt(psa_total)} (the Xero invoice was changed after the sync); {fmt(psa_total)} was recorded. "
                         f"Check the invoice in both.")
        if credited > ZERO:
            notes.append(f"{fmt(credited)} of it was settled by credit notes in Xero: apply the credit memo to "
                         f"invoice {number} in {name} by hand.")
        what = f"{count} payments" if count > 1 else "1 payment"
        return Decision(RECORD, f"Invoice {number} is paid in full in Xero ({what}): recorded in {name} as "
                                + (f"one payment of {fmt(amount)}." if psa != "autotask" else "its paid date."),
                        amount=amount, day=paid_in_full_on(invoice), note=" ".join(notes))
    if paid > ZERO:
        single = ("ConnectWise takes one payment per invoice" if psa != "autotask"
                  else "Autotask keeps only the date an invoice was paid in full")
        return Decision(WAIT, f"Invoice {number} is partly paid in Xero: {fmt(paid)} of {fmt(total)}. {single}, "
                              f"so it is recorded in {name} once Xero shows it paid in full.", amount=paid)
    if credited > ZERO and due == ZERO:
        return Decision(FORGET if waiting else NOTHING,
                        f"Invoice {number} was settled by credit notes in Xero ({fmt(credited)}), with no payment: "
                        f"nothing was recorded in {name}.",
                        f"Apply the credit memo to invoice {number} in {name} by hand.")
    if waiting:
        return Decision(FORGET, f"Invoice {number} has no payment in Xero any more (it was deleted); nothing "
                                f"was recorded in {name}.")
    return Decision(NOTHING, "", quiet=True)  # not paid yet: nothing to say


def ignored_reason(payment: dict) -> str:
    """Why a Xero payment that matches no synced invoice of the company is not recorded."""
    ptype = str(payment.get("PaymentType") or "")
    target = payment.get("Invoice") if isinstance(payment.get("Invoice"), dict) else {}
    number = target.get("InvoiceNumber") or (payment.get("CreditNote") or {}).get("CreditNoteNumber") or "?"
    what = f"The payment of {fmt(money(payment.get('Amount')))} on {number}"
    if ptype in _IGNORED_TYPES:
        return f"{what} {_IGNORED_TYPES[ptype]}."
    if str(target.get("Type") or "ACCREC") != "ACCREC":
        return f"{what} {_IGNORED_TYPES['ACCPAYPAYMENT']}."
    return (f"{what} is on an invoice Wise-Sync never synced for this company (typed in Xero, or synced before "
            f"Wise-Sync), so it was not recorded in the PSA.")
