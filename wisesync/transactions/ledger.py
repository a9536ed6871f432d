"""Ledger state changes: one committed transaction before and after every external write.

The order a run follows for one record (DESIGN §10.3)::

    begin_push(ref)                    # committed: state "pushing", the key, the payload hash
    xero.put_invoices([...], batch_key([e.idempotency_key ...]))
    record_pushed(entry, id, number, type)   # committed: "pushed", the Xero id
    begin_post(entry, identifier)      # committed: the PSA batch identifier about to be used
    cw.create_batch(identifier, entry.gl_entry_id_list, ...)
    record_posted(entry, identifier, batch_id)   # committed: "posted"

What a crash leaves, and what the next run does:

- ``pushing``: the Xero call's outcome is unknown. Look the number up in Xero first: found →
  :func:`record_adopted`; not found → push again (the same payload gives the same key, so a
  Xero that did receive it replays instead of creating a second document).
- ``pushed`` (with ``xero_id``): in Xero, not yet batched in the PSA. Only batch it, with the
  identifier already stored (a PSA that refuses it as existing already took it: check the
  record left the unposted list, then :func:`record_posted`).

A row that holds a Xero document id never loses it: :func:`record_failed` and
:func:`record_blocked` on such a row keep its state (``pushed``/``posted``) and only add the
reason and fix. With a ``run_id``, every change also writes the record's outcome in that run
(:class:`~wisesync.transactions.models.TransactionRunRecord`) in the same transaction.

``commit=False`` on :func:`begin_push`, :func:`record_pushed` and :func:`record_posted` lets a
run write a whole call's worth (≤ 50 records) in one transaction: it must commit before the
outside write that follows (pushing) or soon after the answers (pushed, posted — a crash before
that commit is finished by the next run, which finds the documents and batches as above).

Keys and hashes are pure functions: :func:`payload_hash`, :func:`idempotency_key`,
:func:`batch_key`, :func:`batch_identifier`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.transactions.models import COUNT_KEYS, LedgerEntry, TransactionRun, TransactionRunRecord

KEY_MAX = 128  # Xero's Idempotency-Key limit
BATCH_IDENTIFIER_MAX = 50  # ConnectWise batchIdentifier limit
KIND_LETTERS = {"invoice": "I", "credit": "C", "procurement": "P"}


class LedgerStateError(RuntimeError):
    """A state change that would break exactly-once (e.g. pushing a record already in Xero)."""


@dataclass(frozen=True)
class RecordRef:
    """The PSA record a ledger row is about, as the run knows it after the export."""

    account_id: int
    company_id: int
    psa: str  # "connectwise" / "autotask"
    kind: str  # "invoice" / "credit" / "procurement"
    psa_id: str
    payload_hash: str = ""
    number: str = ""
    counterparty: str = ""
    document_date: date | None = None
    total: Decimal = Decimal("0")
    currency: str = ""
    gl_entry_ids: tuple[int, ...] = field(default=())

    @property
    def key(self) -> str:
        return idempotency_key(self.account_id, self.company_id, self.kind, self.psa_id, self.payload_hash)


# --- keys and hashes -------------------------------------------------------------------------

def _canonical(value):
    """JSON-ready, with every number as its shortest exact decimal string: 1, 1.0, 1.00,
    Decimal("1.000") and 1.0 (float) all hash alike; dict order never matters."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if number.is_nan() or number.is_infinite():
            return {"$number": str(number)}
        if number == 0:
            return {"$number": "0"}
        text = format(number.normalize(), "f")
        return {"$number": text}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items() if k != "_info"}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"payload_hash cannot hash a {type(value).__name__}")


def payload_hash(record) -> str:
    """SHA-256 (hex) of a PSA record, stable over dict order and number formatting.

    ``_info`` members (ConnectWise's volatile links and last-updated stamps) are left out at
    every depth, so only a change in the record itself changes the hash.
    """
    text = json.dumps(_canonical(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _short(value: str, size: int) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:size]


def idempotency_key(account_id: int, company_id: int, kind: str, psa_id: str, payload_hash: str) -> str:
    """``ws:<account>:<company>:<kind>:<psa-id>:<hash[:16]>`` (≤ 128 characters; a very long
    PSA id is replaced by a hash of it). The same record with the same content gives the same
    key, so a retried push is replayed by Xero instead of creating a second document."""
    key = f"ws:{account_id}:{company_id}:{kind}:{psa_id}:{payload_hash[:16]}"
    if len(key) > KEY_MAX:
        key = f"ws:{account_id}:{company_id}:{kind}:h{_short(str(psa_id), 32)}:{payload_hash[:16]}"
    return key


def batch_key(keys: Iterable[str]) -> str:
    """The Idempotency-Key of one Xero call carrying several documents (≤ 50): a hash of the
    sorted member keys, so retrying the same group replays and any other group is new."""
    members = sorted(set(keys))
    if not members:
        raise ValueError("batch_key needs at least one member key")
    digest = hashlib.sha256("\n".join(members).encode()).hexdigest()
    return f"ws:batch:{len(members)}:{digest}"


def batch_identifier(kind: str, psa_id: str, payload_hash: str, attempt: int = 0) -> str:
    """The ConnectWise ``batchIdentifier`` for one record (≤ 50): ``WS-I-<psa-id>-<hash[:10]>``
    (``C`` credit, ``P`` procurement). Deterministic, so a retry after a lost answer reuses it
    and ConnectWise refuses it as existing instead of batching twice. ``attempt`` (> 0) gives a
    fresh identifier for a record whose earlier batch was deleted in the PSA (un-posted)."""
    letter = KIND_LETTERS[kind]
    suffix = f"-{payload_hash[:10]}" + (f"-{attempt}" if attempt else "")
    ident = str(psa_id)
    room = BATCH_IDENTIFIER_MAX - len("WS--") - len(letter) - len(suffix)
    if len(ident) > room:
        ident = _short(ident, min(room, 16))
    return f"WS-{letter}-{ident}{suffix}"


# --- lookups ---------------------------------------------------------------------------------

def entry_for(account_id: int, company_id: int, psa: str, kind: str, psa_id: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.account_id == account_id, LedgerEntry.company_id == company_id, LedgerEntry.psa == psa,
        LedgerEntry.kind == kind, LedgerEntry.psa_id == str(psa_id)))


def entry_by_key(idempotency_key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key)
                             .order_by(LedgerEntry.id).limit(1))


def entries_for_company(company_id: int, *, psa: str | None = None, kinds: Iterable[str] | None = None,
                        states: Iterable[str] | None = None) -> dict[tuple[str, str], LedgerEntry]:
    """The company's ledger rows by ``(kind, psa_id)`` (one query; the review uses it to give
    every listed record its state)."""
    query = select(LedgerEntry).where(LedgerEntry.company_id == company_id)
    if psa:
        query = query.where(LedgerEntry.psa == psa)
    if kinds is not None:
        query = query.where(LedgerEntry.kind.in_(list(kinds)))
    if states is not None:
        query = query.where(LedgerEntry.state.in_(list(states)))
    return {(e.kind, e.psa_id): e for e in db.session.scalars(query)}


# --- state changes (each commits) ------------------------------------------------------------

def _describe(entry: LedgerEntry, ref: RecordRef) -> None:
    entry.number = ref.number[:64] or entry.number
    entry.counterparty = ref.counterparty[:255] or entry.counterparty
    entry.document_date = ref.document_date or entry.document_date
    entry.total = ref.total if ref.total is not None else entry.total
    entry.currency = ref.currency[:3] or entry.currency
    if ref.gl_entry_ids:
        entry.gl_entry_ids = ",".join(str(int(i)) for i in ref.gl_entry_ids)
    if ref.payload_hash:
        entry.payload_hash = ref.payload_hash


def _row(ref: RecordRef, state: str) -> LedgerEntry:
    """The ledger row for ``ref`` (created, flushed, in ``state`` when new)."""
    found = entry_for(ref.account_id, ref.company_id, ref.psa, ref.kind, ref.psa_id)
    if found is not None:
        return found
    entry = LedgerEntry(account_id=ref.account_id, company_id=ref.company_id, psa=ref.psa, kind=ref.kind,
                        psa_id=str(ref.psa_id), state=state)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:  # another session created it meanwhile: use theirs
        db.session.rollback()
        found = entry_for(ref.account_id, ref.company_id, ref.psa, ref.kind, ref.psa_id)
        if found is None:
            raise
        return found
    return entry


def _outcome(entry: LedgerEntry, run_id: int | None, state: str, message: str = "", fix: str = "", *,
             pushed: bool = False, adopted: bool = False) -> None:
    if run_id is None:
        return
    entry.last_run_id = run_id
    record_outcome(run_id, entry.kind, entry.psa_id, state, message, fix, number=entry.number,
                   pushed=pushed, adopted=adopted, commit=False)


def begin_push(ref: RecordRef, *, run_id: int | None = None, synced_by_id: int | None = None,
               commit: bool = True, entry: LedgerEntry | None = None, known: bool = False) -> LedgerEntry:
    """Before the Xero call: state ``pushing`` with the idempotency key and payload hash,
    committed. Raises :class:`LedgerStateError` when the record already has a Xero document
    (only batching, never a second push, may follow) or has no payload hash.

    ``known=True`` says the caller read the company's ledger rows this run (``entry`` is the
    record's row, or None when it had none), so no query is made for it: a new row is added
    and flushed with the others of the call (:func:`begin_push_many`)."""
    if not ref.payload_hash:
        raise LedgerStateError("begin_push needs the exported record's payload hash")
    if not known:
        entry = _row(ref, "pushing")
    elif entry is None:
        entry = LedgerEntry(account_id=ref.account_id, company_id=ref.company_id, psa=ref.psa, kind=ref.kind,
                            psa_id=str(ref.psa_id), state="pushing")
        db.session.add(entry)
    if entry.xero_id:  # an existing row, left untouched (other pending records are kept)
        raise LedgerStateError(f"{ref.kind} {ref.psa_id} is already in Xero "
                               f"({entry.xero_number or entry.xero_id}); batch it, never push it again")
    _describe(entry, ref)
    entry.state, entry.idempotency_key = "pushing", ref.key
    entry.reason = entry.fix = ""
    entry.synced_by_id = synced_by_id or entry.synced_by_id
    _outcome(entry, run_id, "pushing")
    if commit:
        db.session.commit()
    return entry


def begin_push_many(items: list[tuple[RecordRef, LedgerEntry | None]], *, run_id: int | None = None,
                    synced_by_id: int | None = None) -> list[LedgerEntry]:
    """:func:`begin_push` for every member of one Xero call, in one flush and one commit, for
    rows the caller already holds (``(ref, entry or None)``). Should another session have
    created one of the new rows meanwhile, the whole call's worth is written again one by one
    (each finding its row), so no record is ever pushing twice."""
    if run_id is not None:
        prime_outcomes(run_id, [(ref.kind, ref.psa_id) for ref, _ in items])
    try:
        entries = [begin_push(ref, run_id=run_id, synced_by_id=synced_by_id, commit=False, entry=entry,
                              known=True) for ref, entry in items]
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        entries = [begin_push(ref, run_id=run_id, synced_by_id=synced_by_id, commit=False) for ref, _ in items]
        db.session.commit()
    return entries


def record_pushed(entry: LedgerEntry, xero_id: str, number: str, xero_type: str, *,
                  run_id: int | None = None, commit: bool = True) -> LedgerEntry:
    """After Xero created the document: state ``pushed`` (in Xero, not yet batched in the PSA)."""
    entry.state, entry.xero_id, entry.xero_type = "pushed", xero_id, xero_type
    entry.xero_number = number or ""
    entry.pushed_at, entry.reason, entry.fix = utcnow(), "", ""
    _outcome(entry, run_id, "pushed", pushed=True)
    if commit:
        db.session.commit()
    return entry


def record_adopted(ref: RecordRef, xero_id: str, number: str, xero_type: str, *, run_id: int | None = None,
                   synced_by_id: int | None = None) -> LedgerEntry:
    """The record was found in Xero by number (a lost answer, or typed in by hand): state
    ``pushed`` with ``adopted`` set; it is never pushed again, only batched."""
    entry = _row(ref, "pushed")
    _describe(entry, ref)
    entry.state, entry.adopted = "pushed", True
    entry.xero_id, entry.xero_number, entry.xero_type = xero_id, number or "", xero_type
    entry.pushed_at, entry.reason, entry.fix = entry.pushed_at or utcnow(), "", ""
    entry.synced_by_id = synced_by_id or entry.synced_by_id
    if not entry.idempotency_key and ref.payload_hash:
        entry.idempotency_key = ref.key
    _outcome(entry, run_id, "pushed", adopted=True)
    db.session.commit()
    return entry


def begin_post(entry: LedgerEntry, batch_identifier: str, *, run_id: int | None = None) -> LedgerEntry:
    """Before the PSA batch call: the identifier about to be used, committed, so a crash after
    the PSA took the batch is recognised by the same identifier on the next run."""
    if not entry.xero_id:
        raise LedgerStateError(f"{entry.kind} {entry.psa_id} is not in Xero; it cannot be posted in the PSA")
    entry.psa_batch_identifier = batch_identifier
    db.session.commit()
    return entry


def record_posted(entry: LedgerEntry, batch_identifier: str, batch_id: int | None, *,
                  run_id: int | None = None, commit: bool = True) -> LedgerEntry:
    """After the PSA batch (or after confirming a refused-as-existing batch left the unposted
    list): state ``posted``."""
    if not entry.xero_id:
        raise LedgerStateError(f"{entry.kind} {entry.psa_id} is not in Xero; it cannot be posted in the PSA")
    entry.state, entry.psa_batch_identifier, entry.psa_batch_id = "posted", batch_identifier, batch_id
    entry.posted_at, entry.reason, entry.fix = utcnow(), "", ""
    _outcome(entry, run_id, "posted", adopted=False)
    if commit:
        db.session.commit()
    return entry


def _refused(entry: LedgerEntry, state: str, reason: str, fix: str, run_id: int | None) -> LedgerEntry:
    if not entry.xero_id:  # a row with a Xero document keeps its state: it is still in Xero
        entry.state = state
    entry.reason, entry.fix = reason, fix
    _outcome(entry, run_id, state, reason, fix)
    db.session.commit()
    return entry


def record_failed(entry_or_ref: LedgerEntry | RecordRef, reason: str, fix: str, *,
                  run_id: int | None = None) -> LedgerEntry:
    """An attempt failed (Xero refused the document, the PSA refused the batch, a timeout):
    ``failed`` with reason and fix — or, for a row already in Xero, its state kept."""
    entry = entry_or_ref if isinstance(entry_or_ref, LedgerEntry) else _described(entry_or_ref, "failed")
    return _refused(entry, "failed", reason, fix, run_id)


def record_blocked(entry_or_ref: LedgerEntry | RecordRef, reason: str, fix: str, *,
                   run_id: int | None = None) -> LedgerEntry:
    """The record cannot be mapped until someone fixes something (mapping said ``Blocked``):
    ``blocked`` with reason and fix — or, for a row already in Xero, its state kept."""
    entry = entry_or_ref if isinstance(entry_or_ref, LedgerEntry) else _described(entry_or_ref, "blocked")
    return _refused(entry, "blocked", reason, fix, run_id)


def _described(ref: RecordRef, state: str) -> LedgerEntry:
    entry = _row(ref, state)
    _describe(entry, ref)
    return entry


# --- per-run outcomes ------------------------------------------------------------------------

def record_outcome(run_id: int, kind: str, psa_id: str, state: str, message: str = "", fix: str = "", *,
                   number: str = "", pushed: bool = False, adopted: bool = False,
                   commit: bool = True) -> TransactionRunRecord:
    """What the run did with one record (upserted by (run, kind, psa_id); ``pushed`` and
    ``adopted`` stick once set). For records that never get a ledger row (e.g. refused
    before mapping) call it directly."""
    # The session remembers the rows it wrote (session.info, checked to still be in it: a
    # rolled-back new row is not), so a record's later outcomes in the run make no query; a
    # row added in this transaction is found among the pending ones; the query then runs
    # without flushing everything pending first (a run writes ≤ 50 records per transaction).
    cache = _outcome_cache()
    cache_key = (run_id, kind, str(psa_id))
    row = cache.get(cache_key)
    absent = row is _ABSENT
    if absent or row is not None and (row not in db.session or row in db.session.deleted):
        row = None
    if row is None and not absent:
        row = next((r for r in db.session.new if isinstance(r, TransactionRunRecord) and r.run_id == run_id
                    and r.kind == kind and r.psa_id == str(psa_id)), None)
    if row is None and not absent:
        with db.session.no_autoflush:
            row = db.session.scalar(select(TransactionRunRecord).where(
                TransactionRunRecord.run_id == run_id, TransactionRunRecord.kind == kind,
                TransactionRunRecord.psa_id == str(psa_id)))
    if row is None:
        row = TransactionRunRecord(run_id=run_id, kind=kind, psa_id=str(psa_id), state=state)
        db.session.add(row)
    if len(cache) > 20000:  # a long-lived session (tests, shells) never grows without bound
        cache.clear()
    cache[cache_key] = row
    warning = _warnings().get(cache_key)
    if warning is not None and warning[0] not in message:  # a contact warning stays on the record
        message, fix = f"{message} {warning[0]}".strip(), fix or warning[1]
    row.state, row.message, row.fix = state, message, fix
    row.number = number[:64] or row.number or ""
    row.pushed = bool(row.pushed) or pushed
    row.adopted = bool(row.adopted) or adopted
    if commit:
        db.session.commit()
    return row


_ABSENT = object()  # in the outcome cache: this run has no row for the record (prime_outcomes)


def _outcome_cache() -> dict:
    return db.session.info.setdefault("wisesync.run_records", {})


def _warnings() -> dict:
    return db.session.info.setdefault("wisesync.run_warnings", {})


def note_warning(run_id: int, kind: str, psa_id: str, message: str, fix: str = "") -> None:
    """A warning that stays on the record's outcome in this run whatever state it reaches next
    (e.g. its contact could not be renamed in Xero: the document is still sent); recorded now."""
    _warnings()[(run_id, kind, str(psa_id))] = (message, fix)
    row = _outcome_cache().get((run_id, kind, str(psa_id)))
    if row is not None and row is not _ABSENT and row in db.session:
        record_outcome(run_id, kind, psa_id, row.state, row.message, row.fix, commit=False)


def prime_outcomes(run_id: int, keys: Iterable[tuple[str, str]]) -> None:
    """Read the run's rows for these ``(kind, psa_id)`` in one query, so the outcomes recorded
    next (e.g. a whole call's ``pushing``) make none each. Only the run's own thread writes
    its rows, so "none yet" stays true until it writes one (which the cache then holds)."""
    cache = _outcome_cache()
    wanted = {(kind, str(psa_id)) for kind, psa_id in keys} - {(k, p) for r, k, p in cache if r == run_id}
    if not wanted:
        return
    R = TransactionRunRecord
    with db.session.no_autoflush:
        for row in db.session.scalars(select(R).where(R.run_id == run_id,
                                                      R.psa_id.in_(sorted({p for _, p in wanted})))):
            cache[(run_id, row.kind, row.psa_id)] = row
    for kind, psa_id in wanted:
        cache.setdefault((run_id, kind, psa_id), _ABSENT)


def run_counts(run_id: int) -> dict[str, int]:
    """``{pushed, posted, adopted, blocked, failed}`` of a run, counted from its records (one
    query, so threads recording outcomes at once never lose a count)."""
    R = TransactionRunRecord
    row = db.session.execute(select(
        func.count().filter(R.pushed.is_(True)), func.count().filter(R.state == "posted"),
        func.count().filter(R.adopted.is_(True)), func.count().filter(R.state == "blocked"),
        func.count().filter(R.state == "failed")).where(R.run_id == run_id)).one()
    return dict(zip(COUNT_KEYS, (int(n) for n in row)))


def run_records(run_id: int) -> list[TransactionRunRecord]:
    return list(db.session.scalars(select(TransactionRunRecord).where(TransactionRunRecord.run_id == run_id)
                                   .order_by(TransactionRunRecord.id)))


def run_progress(run: TransactionRun) -> dict:
    """What the run page and its JSON show (DESIGN §10.6): ``status``, ``counts``, ``records``
    [{kind, psa_id, number, state, message, fix}], ``totals``, ``percent``, ``message``, ``fix``.
    ``percent`` counts records past ``pushing`` against ``totals["records"]`` (set by the run
    once it knows how many it will sync)."""
    records = [r.as_dict() for r in run_records(run.id)]
    total = int(run.totals.get("records") or 0)
    settled = sum(1 for r in records if r["state"] != "pushing")
    if run.status in ("succeeded", "failed"):
        percent = 100
    else:
        percent = min(99, int(100 * settled / total)) if total else 0
    return {"id": run.id, "status": run.status, "counts": run_counts(run.id), "totals": run.totals,
            "records": records, "percent": percent, "message": run.message, "fix": run.fix}


# --- Xero contact links (their own module; these names stay reachable as ledger.*) -----------

from wisesync.transactions.contact_links import (contact_fingerprints, contact_links,  # noqa: E402,F401
                                                 forget_contact_link, save_contact_fingerprints,
                                                 save_contact_link, save_contact_links)
