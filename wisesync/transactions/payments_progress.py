"""What a payment run's page, its JSON and the history show: counts, records, links to Xero."""
from __future__ import annotations

from sqlalchemy import func, select

from wisesync.extensions import db
from wisesync.transactions.models import LedgerEntry, TransactionRun, TransactionRunRecord

PURPOSE = "payments"
KIND = "payment"
COUNTS = ("pushed", "posted", "adopted", "waiting", "ignored", "blocked", "failed")


def run_counts(run_id: int) -> dict[str, int]:
    """``posted`` = written to the PSA by this run, ``adopted`` = found already there."""
    R = TransactionRunRecord
    row = db.session.execute(select(
        func.count().filter(R.pushed.is_(True)), func.count().filter(R.adopted.is_(True)),
        *(func.count().filter(R.state == s) for s in ("waiting", "ignored", "blocked", "failed")))
        .where(R.run_id == run_id)).one()
    return dict(zip(COUNTS, (0, *(int(n) for n in row))))


def progress(run: TransactionRun) -> dict:
    """What the run page and its JSON show, like a sync's (``counts`` with the payment keys)."""
    from wisesync.transactions.ledger import run_records

    records = [r.as_dict() for r in run_records(run.id)]
    total = int(run.totals.get("records") or 0)
    settled = sum(1 for r in records if r["state"] != "pushing")
    percent = 100 if run.status in ("succeeded", "failed") else (min(99, int(100 * settled / total)) if total else 0)
    return {"id": run.id, "status": run.status, "purpose": PURPOSE, "counts": run_counts(run.id),
            "totals": run.totals, "records": records, "percent": percent, "message": run.message, "fix": run.fix}


def document_link(company, entry: LedgerEntry) -> str:
    """A payment row links to its invoice in Xero (the payments are listed on it there)."""
    from wisesync.companies.xero import document_url

    return document_url(company, "invoice", entry.xero_id) if entry.xero_id else ""


def run_links(run: TransactionRun, company) -> dict[str, str]:
    """``"payment:<psa-id>"`` → the invoice in Xero, for the run's invoices."""
    R = TransactionRunRecord
    rows = db.session.scalars(select(LedgerEntry).join(R, R.psa_id == LedgerEntry.psa_id).where(
        R.run_id == run.id, R.kind == KIND, LedgerEntry.kind == "invoice", LedgerEntry.company_id == run.company_id,
        LedgerEntry.psa == run.psa, LedgerEntry.xero_id != ""))
    return {f"{KIND}:{e.psa_id}": document_link(company, e) for e in rows}
