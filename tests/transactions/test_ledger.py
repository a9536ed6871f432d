"""The ledger: models, keys and hashes, and the state changes around every external write."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.builders import make_account, make_company
from wisesync.extensions import db
from wisesync.transactions.models import LedgerEntry, TransactionRun


@pytest.fixture
def company(app):
    return make_company(make_account())


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def entry(company, **kw) -> LedgerEntry:
    values = dict(account_id=company.account_id, company_id=company.id, psa="connectwise", kind="invoice",
                  psa_id="101", state="pushed")
    return LedgerEntry(**(values | kw))


def test_one_ledger_row_per_record_and_company(company):
    db.session.add(entry(company))
    db.session.commit()
    db.session.add(entry(company))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    other = make_company(make_account(name="Other"), name="Other Co")
    db.session.add_all([entry(company, kind="credit"), entry(company, psa_id="102"), entry(other)])
    db.session.commit()
    assert rows(LedgerEntry) == 4


def test_ledger_money_is_decimal_with_four_places(company):
    db.session.add(entry(company, total=Decimal("1234.5678"), document_date=date(2026, 11, 30)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(LedgerEntry))
    assert stored.total == Decimal("1234.5678") and isinstance(stored.total, Decimal)
    assert stored.document_date == date(2026, 11, 30)


def test_the_database_refuses_two_active_runs_for_one_company(company):
    run = dict(account_id=company.account_id, company_id=company.id, psa="connectwise")
    db.session.add(TransactionRun(**run, status="running"))
    db.session.commit()
    db.session.add(TransactionRun(**run, status="queued"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add_all([TransactionRun(**run, status="succeeded"), TransactionRun(**run, status="failed")])
    other = make_company(make_account(name="B"), name="B Co")
    db.session.add(TransactionRun(account_id=other.account_id, company_id=other.id, psa="connectwise"))
    db.session.commit()
    assert rows(TransactionRun) == 4


def test_a_run_keeps_its_selection_and_counts_default_to_zero(company):
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa="connectwise")
    run.selected = ["invoice:7", "credit:9", "invoice:7"]
    db.session.add(run)
    db.session.commit()
    db.session.expire_all()
    run = db.session.get(TransactionRun, run.id)
    assert run.selected == ["credit:9", "invoice:7"] and run.status == "queued"
    assert run.counts == {"pushed": 0, "posted": 0, "adopted": 0, "blocked": 0, "failed": 0}
    run.selected = None
    assert run.selected is None
