"""Pulling customers, agreements and products from the PSA into the local tables.

Records are upserted in batches while the client pages lazily, so memory holds one PSA page
and one batch whatever the PSA's size. Each batch is committed whole (complete records,
plus the run's progress), so a pull that dies half-way leaves only complete records behind.
Records the PSA no longer lists are marked removed only once every kind was read in full —
by :func:`mark_gone`, which the runner commits together with the run's success.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from sqlalchemy import update

from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaLocation, PsaProduct

BATCH_SIZE = 1000
PREFETCH = 2  # batches read ahead while the previous one is written: memory stays bounded


@dataclass
class Source:
    """One thing to pull: where it comes from and how a PSA record becomes a local row."""

    key: str  # the name in the run's counts: customers, agreements, products, services
    model: type
    records: Callable[[], Iterable[dict]]
    count: Callable[[], int]
    row: Callable[[dict], dict]
    kind: str | None = None  # PsaProduct.kind


def _name(ref) -> str:
    return str((ref or {}).get("name") or "") if isinstance(ref, dict) else ""


def _cut(value, size: int) -> str:
    return str(value or "")[:size]


def connectwise_sources(client) -> list[Source]:
    def customer(r: dict) -> dict:
        status = _name(r.get("status"))
        return {"psa_id": r["id"], "name": _cut(r.get("name"), 255), "identifier": _cut(r.get("identifier"), 120),
                "status": _cut(status, 60),
                "active": not r.get("deletedFlag") and "inactive" not in status.lower()}

    def agreement(r: dict) -> dict:
        status = r.get("agreementStatus") or ("Cancelled" if r.get("cancelledFlag") else "Active")
        company = r.get("company") or {}
        return {"psa_id": r["id"], "name": _cut(r.get("name"), 255), "customer_psa_id": company.get("id"),
                "customer_name": _cut(company.get("name"), 255), "agreement_type": _cut(_name(r.get("type")), 120),
                "status": _cut(status, 60), "active": not r.get("cancelledFlag") and status == "Active"}

    def catalog(r: dict) -> dict:
        return {"psa_id": r["id"], "name": _cut(r.get("description"), 255),
                "identifier": _cut(r.get("identifier"), 120),
                "description": _cut(r.get("customerDescription"), 500),
                "price": r.get("price"), "cost": r.get("cost"), "active": not r.get("inactiveFlag")}

    def location(r: dict) -> dict:  # billing locations: companies take the transactions of theirs
        return {"psa_id": r["id"], "name": _cut(r.get("name"), 255), "active": not r.get("inactiveFlag")}

    return [Source("customers", PsaCustomer, client.companies, client.companies_count, customer),
            Source("agreements", PsaAgreement, client.agreements, client.agreements_count, agreement),
            Source("products", PsaProduct, client.catalog_items, client.catalog_items_count, catalog,
                   kind="catalog"),
            Source("locations", PsaLocation, lambda: client.iterate("/system/locations"),
                   lambda: client.count("/system/locations"), location)]


def autotask_sources(client) -> list[Source]:
    def company(r: dict) -> dict:
        return {"psa_id": r["id"], "name": _cut(r.get("companyName"), 255),
                "identifier": _cut(r.get("companyNumber"), 120),
                "status": "Active" if r.get("isActive", True) else "Inactive",
                "active": bool(r.get("isActive", True))}

    def contract(r: dict) -> dict:
        active = r.get("status") == 1
        return {"psa_id": r["id"], "name": _cut(r.get("contractName"), 255),
                "customer_psa_id": r.get("companyID"), "customer_name": "",
                "agreement_type": _cut(r.get("contractNumber"), 120),
                "status": "Active" if active else "Inactive", "active": active}

    def item(r: dict) -> dict:
        return {"psa_id": r["id"], "name": _cut(r.get("name"), 255), "identifier": _cut(r.get("sku"), 120),
                "description": _cut(r.get("description"), 500), "price": r.get("unitPrice"),
                "cost": r.get("unitCost"), "active": bool(r.get("isActive", True))}

    return [Source("customers", PsaCustomer, client.companies, lambda: client.count("Companies"), company),
            Source("agreements", PsaAgreement, client.contracts, lambda: client.count("Contracts"), contract),
            Source("products", PsaProduct, client.products, lambda: client.count("Products"), item, kind="product"),
            Source("services", PsaProduct, client.services, lambda: client.count("Services"), item, kind="service")]


def sources_for(psa_type: str, client) -> list[Source]:
    return connectwise_sources(client) if psa_type == "connectwise" else autotask_sources(client)


def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class Upserter:
    """``INSERT … ON CONFLICT (account, [kind,] psa_id) DO UPDATE`` for one source, compiled
    once and sent with the driver's executemany: per-row work is only the column types' own
    conversions (SQLAlchemy's per-statement compile would otherwise cost as much as the
    fetch)."""

    def __init__(self, source: Source):
        table = source.model.__table__
        key = ["account_id", "kind", "psa_id"] if source.kind else ["account_id", "psa_id"]
        stmt = _insert(table)
        keep = set(key) | {"id"}
        stmt = stmt.on_conflict_do_update(index_elements=key, set_={
            column.name: stmt.excluded[column.name] for column in table.columns if column.name not in keep})
        self.columns = [column.name for column in table.columns if column.name != "id"]
        dialect = db.session.get_bind().dialect
        compiled = stmt.compile(dialect=dialect, column_keys=self.columns)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup) if compiled.positional else None
        processors = compiled._bind_processors
        self.processors = [(name, processors[name]) for name in self.columns if processors.get(name)]

    def __call__(self, rows: list[dict]) -> None:
        for row in rows:
            for name, process in self.processors:
                row[name] = process(row.get(name))
        params = ([tuple(row.get(name) for name in self.order) for row in rows] if self.order
                  else [{name: row.get(name) for name in self.columns} for row in rows])
        db.session.connection().exec_driver_sql(self.sql, params)


def batches(source: Source, account_id: int, run_id: int, size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    """Complete local rows, ``size`` at a time, deduplicated by PSA id within a batch."""
    batch: dict[int, dict] = {}
    now = utcnow()
    extra = {"account_id": account_id, "last_run_id": run_id, "removed_at": None, "pulled_at": now}
    if source.kind:
        extra["kind"] = source.kind
    for record in source.records():
        row = source.row(record)
        row.update(extra)
        batch[row["psa_id"]] = row
        if len(batch) >= size:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def prefetched(items: Iterator[list[dict]], depth: int = PREFETCH) -> Iterator[list[dict]]:
    """Read the PSA in a helper thread while the caller writes: the fetch of the next page
    overlaps the database work on this one. At most ``depth`` batches wait; the helper's
    exception (a PsaError) is raised here, in the caller's thread."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put(item)
            box.put(end)
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer thread
            box.put(exc)

    worker = threading.Thread(target=produce, name="psa-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def pull(sources: list[Source], account_id: int, run_id: int,
         on_batch: Callable[[str, int], None]) -> dict[str, int]:
    """Page through every source, upserting and committing batch by batch; returns the counts.

    ``on_batch(key, rows)`` is called before each commit so progress is saved with the rows.
    Raises whatever the client raises (a :class:`~wisesync.psa.errors.PsaError`); batches
    committed before that stay (they are complete and correct), nothing is marked removed.
    """
    counts = {source.key: 0 for source in sources}
    for source in sources:
        upsert = Upserter(source)
        for rows in prefetched(batches(source, account_id, run_id)):
            upsert(rows)
            counts[source.key] += len(rows)
            on_batch(source.key, len(rows))
            db.session.commit()
    return counts


def mark_gone(sources: list[Source], account_id: int, run_id: int) -> int:
    """After a full pass: records this run did not see are gone from the PSA. Not committed."""
    now, total = utcnow(), 0
    for source in sources:
        model = source.model
        query = update(model).where(model.account_id == account_id, model.removed_at.is_(None),
                                    (model.last_run_id != run_id) | model.last_run_id.is_(None))
        if source.kind:
            query = query.where(model.kind == source.kind)
        total += db.session.execute(query.values(active=False, removed_at=now),
                                    execution_options={"synchronize_session": False}).rowcount or 0
    return total
