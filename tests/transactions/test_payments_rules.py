"""The payment rules (issue 14) as a table: Xero's invoice and what was recorded in → the
decision out. Pure functions: no app, no simulator."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wisesync.transactions import payments as rules

D = Decimal


def invoice(status="AUTHORISED", total="115.00", paid="0.00", credited="0.00", payments=()):
    due = D(total) - D(paid) - D(credited)
    return {"Status": status, "Total": D(total), "AmountPaid": D(paid), "AmountDue": due,
            "AmountCredited": D(credited),
            "Payments": [{"PaymentID": f"p{n}", "Date": f"/Date({ms}+0000)/", "Amount": D(a)}
                         for n, (a, ms) in enumerate(payments)]}


MAR_1, MAR_9 = 1772323200000, 1773014400000  # 2026-03-01, 2026-03-09 (UTC midnight)


def decide(x, *, psa="connectwise", total="115.00", recorded=None, waiting=False):
    return rules.decide(x, psa=psa, number="INV-1", psa_total=D(total),
                        recorded=None if recorded is None else D(recorded), waiting=waiting)


@pytest.mark.parametrize("x,kw,action,words", [
    (invoice(paid="115.00", payments=[("40", MAR_1), ("75", MAR_9)]), {}, rules.RECORD, "(2 payments): recorded in ConnectWise as one payment of 115.00"),
    (invoice(paid="40.00", payments=[("40", MAR_1)]), {}, rules.WAIT, "partly paid in Xero: 40.00 of 115.00"),
    (invoice(paid="40.00", payments=[("40", MAR_1)]), {"psa": "autotask"}, rules.WAIT, "Autotask keeps only"),
    (invoice(), {"waiting": True}, rules.FORGET, "no payment in Xero any more"),
    (invoice(), {}, rules.NOTHING, ""),
    (invoice(status="VOIDED"), {}, rules.NOTHING, "voided in Xero"),
    (invoice(status="VOIDED"), {"recorded": "115.00"}, rules.FLAG, "voided in Xero after"),
    (invoice(paid="115.00"), {"recorded": "115.00"}, rules.NOTHING, "already recorded"),
    (invoice(), {"recorded": "115.00"}, rules.FLAG, "deleted in Xero after Wise-Sync recorded 115.00"),
    (invoice(paid="15.00"), {"recorded": "115.00"}, rules.FLAG, "only 15.00 paid"),
    (invoice(paid="115.00", total="115.00"), {"recorded": "110.00", "total": "110.00"}, rules.NOTHING,
     "(the ConnectWise total) already recorded"),
    (invoice(credited="115.00"), {}, rules.NOTHING, "settled by credit notes"),
])
def test_the_rules(x, kw, action, words):
    decision = decide(x, **kw)
    assert decision.action == action and words in decision.message, decision


def test_an_unpaid_invoice_is_not_listed():
    assert decide(invoice()).quiet and not decide(invoice(status="VOIDED")).quiet


def test_paid_in_full_is_recorded_as_the_amount_paid_on_the_day_it_was_settled():
    d = decide(invoice(paid="115.00", payments=[("40", MAR_1), ("75", MAR_9)]))
    assert (d.amount, d.day, d.note) == (D("115.00"), date(2026, 3, 9), "")


def test_an_over_payment_records_the_psa_total_and_names_the_difference():
    d = decide(invoice(paid="115.00", payments=[("115", MAR_1)]), total="100.00")
    assert d.action == rules.RECORD and d.amount == D("100.00")
    assert "15.00 more than the ConnectWise total of 100.00" in d.note


def test_credit_notes_on_a_paid_invoice_are_left_for_a_person():
    d = decide(invoice(paid="100.00", credited="15.00", payments=[("100", MAR_1)]))
    assert d.action == rules.RECORD and d.amount == D("100.00")
    assert "apply the credit memo to invoice INV-1 in ConnectWise by hand" in d.note


def test_a_deleted_payment_tells_where_to_undo_it_in_each_psa():
    assert "Finance > Invoices > INV-1 > Payments" in decide(invoice(), recorded="115.00").fix
    assert "clear the paid date of invoice INV-1 in Autotask" in decide(invoice(), psa="autotask",
                                                                       recorded="115.00").fix


@pytest.mark.parametrize("payment,words", [
    ({"PaymentType": "ARCREDITPAYMENT", "Amount": 10, "CreditNote": {"CreditNoteNumber": "CN-1"}},
     "on CN-1 is a refund of a credit note"),
    ({"PaymentType": "ACCPAYPAYMENT", "Amount": 10, "Invoice": {"Type": "ACCPAY", "InvoiceNumber": "B-1"}},
     "pays a bill"),
    ({"PaymentType": "AROVERPAYMENTPAYMENT", "Amount": 10}, "refunds an overpayment"),
    ({"PaymentType": "ACCRECPAYMENT", "Amount": 10, "Invoice": {"Type": "ACCREC", "InvoiceNumber": "X-1"}},
     "on X-1 is on an invoice Wise-Sync never synced"),
])
def test_payments_the_portal_does_not_record_say_why(payment, words):
    assert words in rules.ignored_reason(payment)
