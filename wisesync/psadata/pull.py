"""Pulling customers, agreements and products from the PSA into the local tables.

Records are upserted in batches while the client pages lazily (ConnectWise by ``id > last``,
Autotask by its id-keyed ``nextPageUrl``), so memory holds one PSA page and one batch whatever
the PSA's size. Each batch is committed whole (complete records, plus the run's progress), so
a pull that dies half-way leaves only complete records behind. A record with a value that
cannot be stored (:mod:`wisesync.psadata.mapping`) is skipped and reported, never the whole
pull. Sources may read only records changed since a time (incremental pulls); records the PSA
no longer lists are marked removed only from sources read in full — by :func:`mark_gone`,
which the runner commits together with the run's success.
"""
from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Iterator

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psadata import mapping
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaLocation, PsaProduct

BATCH_SIZE = 1000
PREFETCH = 2  # batches read ahead while the previous one is written: memory stays bounded
# How a batch is written on PostgreSQL: "copy" (COPY into a temporary table + one INSERT …
# SELECT … ON CONFLICT; wisesync/psadata/pg_copy.py, measured faster) or "executemany".
PG_WRITE = os.environ.get("WISESYNC_PULL_PG_WRITE", "copy")


@dataclass
class Source:
    """One thing to pull: where it comes from and how a PSA record becomes a local row."""

    key: str  # the name in the run's counts: customers, agreements, products, services
    model: type
    records: Callable[[], Iterable[dict]]
    count: Callable[[], int]  # how many ``records`` will yield (with the same filter)
    row: Callable[[dict], dict]  # raises mapping.Skip for a record that cannot be stored
    kind: str | None = None  # PsaProduct.kind
    changed_only: bool = False  # reads only records changed since a time: nothing can be marked gone
    derived: bool = False  # made from what earlier sources read: counted only once they ran


def _cw_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _at_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def connectwise_sources(client, since: datetime | None = None) -> list[Source]:
    """Keyset-paged lists, asking only for the stored fields; with ``since``, only records whose
    ``lastUpdated`` is later (locations are few and always read whole)."""
    changed = f"lastUpdated>[{_cw_time(since)}]" if since else None
    inactive: set[int] = set()

    def listing(path: str, key: str, conditions: str | None = changed):
        return lambda: client.iterate_by_id(path, conditions, fields=mapping.CW_FIELDS[key])

    def companies():
        # The company's status decides, by the status's own inactiveFlag; read when the pull
        # gets to the companies, so a renamed or re-flagged status is seen by the next pull.
        inactive.clear()
        inactive.update(s["id"] for s in listing("/company/companies/statuses", "statuses", None)()
                        if isinstance(s, dict) and type(s.get("id")) is int and s.get("inactiveFlag") is True)
        yield from listing("/company/companies", "customers")()

    return [Source("customers", PsaCustomer, companies, lambda: client.count("/company/companies", changed),
                   lambda r: mapping.cw_customer(r, inactive), changed_only=since is not None),
            Source("agreements", PsaAgreement, listing("/finance/agreements", "agreements"),
                   lambda: client.count("/finance/agreements", changed), mapping.cw_agreement,
                   changed_only=since is not None),
            Source("products", PsaProduct, listing("/procurement/catalog", "products"),
                   lambda: client.count("/procurement/catalog", changed), mapping.cw_catalog_item,
                   kind="catalog", changed_only=since is not None),
            Source("locations", PsaLocation, listing("/system/locations", "locations", None),
                   lambda: client.count("/system/locations"), mapping.cw_location)]


# Autotask: the fields that say a record changed, per entity (the fixture's *Model
# definitions). A company's activity date moves with notes and tickets, its tracked-modified
# date with edits: either one later than ``since`` counts. Products have neither (ProductModel
# has only createdTime), so they are always read whole.
LEVELS = "organisational levels"  # the Autotask source's key in a run's counts
AUTOTASK_CHANGED = {"Companies": ("lastActivityDate", "lastTrackedModifiedDateTime"),
                    "Contracts": ("lastModifiedDateTime",), "Services": ("lastModifiedDate",)}


def autotask_sources(client, since: datetime | None = None) -> list[Source]:
    def changed(entity: str):
        fields = AUTOTASK_CHANGED.get(entity) if since else None
        if not fields:
            return None
        tests = [{"op": "gt", "field": name, "value": _at_time(since)} for name in fields]
        return tests if len(tests) == 1 else [{"op": "or", "items": tests}]

    def source(key, model, entity, row, kind=None):
        filters = changed(entity)
        return Source(key, model, lambda: client.query(entity, filters, include_fields=mapping.AT_FIELDS[entity]),
                      lambda: client.count(entity, filters), row, kind=kind, changed_only=filters is not None)

    levels: set[int] = set()

    def contract(record: dict) -> dict:
        level = record.get("organizationalLevelAssociationID") if isinstance(record, dict) else None
        if type(level) is int and level > 0:
            levels.add(level)
        return mapping.at_contract(record)

    def level_records():
        from wisesync.psadata.levels import invoice_levels

        levels.update(invoice_levels(client))
        return ({"id": level} for level in sorted(levels))

    contracts = source("agreements", PsaAgreement, "Contracts", contract)
    # Organisational levels: the fixture's API subset has no OrganizationalLevelAssociations
    # entity (nor Branches/LinesOfBusiness), so the levels are the association ids the
    # contracts carry and those of the billing items of invoices waiting to sync (what routing
    # meets), stored as the account's PSA locations with their names unknown. An incremental
    # pull sees only changed contracts, so it marks no level gone.
    return [source("customers", PsaCustomer, "Companies", mapping.at_company), contracts,
            source("products", PsaProduct, "Products", mapping.at_item, "product"),
            source("services", PsaProduct, "Services", mapping.at_item, "service"),
            Source(LEVELS, PsaLocation, level_records, lambda: len(levels), mapping.at_level, changed_only=contracts.changed_only, derived=True)]


def sources_for(psa_type: str, client, since: datetime | None = None) -> list[Source]:
    return (connectwise_sources if psa_type == "connectwise" else autotask_sources)(client, since)


def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class Upserter:
    """``INSERT … ON CONFLICT (account, [kind,] psa_id) DO UPDATE`` for one source, compiled
    once and sent with the driver's executemany. The values every row shares (account, run,
    ``pulled_at``…) are converted once; per row only the PSA's own values are (SQLAlchemy's
    per-statement compile would otherwise cost as much as the fetch). Rows are not changed, so
    a batch the database refused can be sent again row by row."""

    def __init__(self, source: Source, shared: dict):
        table = source.model.__table__
        key = ["account_id", "kind", "psa_id"] if source.kind else ["account_id", "psa_id"]
        stmt = _insert(table)
        keep = set(key) | {"id"}
        stmt = stmt.on_conflict_do_update(index_elements=key, set_={
            column.name: stmt.excluded[column.name] for column in table.columns if column.name not in keep})
        columns = [column.name for column in table.columns if column.name != "id"]
        dialect = db.session.get_bind().dialect
        compiled = stmt.compile(dialect=dialect, column_keys=columns)
        self.sql = str(compiled)
        order = list(compiled.positiontup) if compiled.positional else columns
        processors = compiled._bind_processors
        self.positional = compiled.positional
        self.template = [None if n not in shared else processors[n](shared[n]) if processors.get(n) else shared[n]
                         for n in order]
        self.names = order
        self.varying = [(i, name, processors.get(name)) for i, name in enumerate(order) if name not in shared]

    def params(self, row: dict):
        values = self.template.copy()
        for i, name, process in self.varying:
            value = row.get(name)
            values[i] = process(value) if process else value
        return tuple(values) if self.positional else dict(zip(self.names, values))

    def __call__(self, rows: list[dict]) -> None:
        db.session.connection().exec_driver_sql(self.sql, [self.params(row) for row in rows])


Skipped = tuple  # (psa_id or None, reason)


def batches(source: Source, size: int = BATCH_SIZE) -> Iterator[tuple[list[dict], list[Skipped]]]:
    """``(rows, skipped)`` about ``size`` records at a time: the rows deduplicated by PSA id
    within a batch, and the records that could not be stored with the reason."""
    batch: dict[int, dict] = {}
    skipped: list[Skipped] = []
    row_of = source.row
    for record in source.records():
        try:
            row = row_of(record)
        except mapping.Skip as exc:
            skipped.append((_psa_id(record), str(exc)))
        except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            skipped.append((_psa_id(record), f"a value Wise-Sync cannot read ({type(exc).__name__})"))
        else:
            batch[row["psa_id"]] = row
        if len(batch) + len(skipped) >= size:
            yield list(batch.values()), skipped
            batch, skipped = {}, []
    if batch or skipped:
        yield list(batch.values()), skipped


def _psa_id(record) -> int | None:
    value = record.get("id") if isinstance(record, dict) else None
    return value if type(value) is int else None


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


@dataclass
class Outcome:
    counts: dict[str, int]  # rows stored per source
    skipped: dict[str, int]  # records skipped per source
    examples: list[list]  # [key, psa_id, reason] of the first MAX_REPORTED skipped records

    def seen(self, key: str) -> int:
        return self.counts.get(key, 0) + self.skipped.get(key, 0)


MAX_REPORTED = 200  # skipped records listed on the run page (all are counted)


def pull(sources: list[Source], account_id: int, run_id: int,
         on_batch: Callable[[Outcome], None]) -> Outcome:
    """Page through every source, upserting and committing batch by batch.

    A record that cannot be stored (:class:`mapping.Skip`, or a row the database refuses) is
    skipped and reported; the others go on. ``on_batch(outcome)`` is called before each commit
    so progress is saved with the rows. Raises whatever the client raises (a
    :class:`~wisesync.psa.errors.PsaError`); batches committed before that stay (they are
    complete and correct), nothing is marked removed.
    """
    outcome = Outcome({s.key: 0 for s in sources}, {s.key: 0 for s in sources}, [])
    shared = {"account_id": account_id, "last_run_id": run_id, "removed_at": None, "pulled_at": utcnow()}
    for source in sources:
        upsert = _upserter(source, {**shared, "kind": source.kind} if source.kind else shared)
        refused_ids: list[int] = []
        for rows, skipped in prefetched(batches(source)):
            refused = _write(upsert, rows)
            outcome.counts[source.key] += len(rows) - len(refused)
            for psa_id, reason in skipped + refused:
                outcome.skipped[source.key] += 1
                if psa_id is not None:
                    refused_ids.append(psa_id)
                if len(outcome.examples) < MAX_REPORTED:
                    outcome.examples.append([source.key, psa_id, reason])
            on_batch(outcome)
            db.session.commit()
        _still_there(source, account_id, run_id, refused_ids)
        db.session.commit()
    return outcome


def _upserter(source: Source, shared: dict):
    if PG_WRITE == "copy" and db.session.get_bind().dialect.name == "postgresql":
        from wisesync.psadata.pg_copy import CopyUpserter

        return CopyUpserter(source, shared)
    return Upserter(source, shared)


def _write(upsert: Upserter, rows: list[dict]) -> list[Skipped]:
    """Upsert ``rows``; when the database refuses the batch, send them one by one (each
    committed) and return the ones it refused with its reason. Rare: the mapping checks every
    value first, so this is the net under it."""
    if not rows:
        return []
    # The driver's own errors too: COPY (pg_copy) talks to psycopg directly, unwrapped.
    refusals = (SQLAlchemyError, ValueError, TypeError, ArithmeticError, db.session.get_bind().dialect.dbapi.Error)
    try:
        upsert(rows)
        return []
    except refusals:
        db.session.rollback()
    refused = []
    for row in rows:
        try:
            upsert([row])
            db.session.commit()
        except refusals as exc:
            db.session.rollback()
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            refused.append((row["psa_id"], "the database refused it: " + (detail[0][:200] if detail else type(exc).__name__)))
    return refused


def _still_there(source: Source, account_id: int, run_id: int, psa_ids: list[int]) -> None:
    """Skipped records are still in the PSA: the local copy (from an earlier pull) is kept as
    it was, and marked as seen so :func:`mark_gone` does not take it for deleted."""
    model = source.model
    for start in range(0, len(psa_ids), 500):
        query = update(model).where(model.account_id == account_id, model.psa_id.in_(psa_ids[start:start + 500]))
        if source.kind:
            query = query.where(model.kind == source.kind)
        db.session.execute(query.values(last_run_id=run_id), execution_options={"synchronize_session": False})


def mark_gone(sources: list[Source], account_id: int, run_id: int) -> int:
    """After a complete read of ``sources``: records this run did not see are gone from the
    PSA. Not committed. Pass only sources read whole (not ``changed_only``)."""
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
