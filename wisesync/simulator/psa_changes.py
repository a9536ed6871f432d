"""Records changed, deleted or given odd values in the simulated PSAs, laid over the seed.

The seed records (``cw_data``, ``at_data``) are computed from their index and never stored;
this board holds what happened to them since: ``change`` replaces top-level fields (any JSON
value, so a test can give a record a NUL in its name, a price of ``"abc"`` or a company as a
bare number), ``delete`` hides a record from lists, counts and ``GET /{id}``. A change stamps
the record as the PSA would — ConnectWise ``_info.lastUpdated``, Autotask the entity's own
modified field(s) (``MODIFIED_FIELDS``) — with the time it was made, so ``lastUpdated>[…]`` /
``lastModifiedDateTime gt …`` find it. Products have no modified field in the Autotask
fixture, so a changed product keeps its dates.

Over HTTP: ``POST /_sim/records`` with ``{"psa": "cw"|"at", "collection": "company/companies"
| "Companies", "id": 5, "set": {...}, "unset": ["field"], "delete": false}``; ``GET`` lists,
``DELETE`` (and ``POST /_sim/reset``) forgets every change.
"""
from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import jsonify, request

PSAS = ("cw", "at")
# Autotask: the fields that say when a record last changed (fixture's *Model definitions).
MODIFIED_FIELDS = {"Companies": ("lastActivityDate", "lastTrackedModifiedDateTime"),
                   "Contracts": ("lastModifiedDateTime",), "Services": ("lastModifiedDate",)}


def _cw_stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _at_stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class PsaChanges:
    """Thread-safe: the simulator serves requests from several threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._changed: dict[tuple[str, str], dict[int, tuple[dict, tuple, datetime]]] = {}
        self._deleted: dict[tuple[str, str], set[int]] = {}

    def change(self, psa: str, collection: str, record_id: int, values: dict | None = None,
               unset=(), when: datetime | None = None) -> None:
        when = when or datetime.now(timezone.utc)
        with self._lock:
            known = self._changed.setdefault((psa, collection), {})
            old_values, old_unset, _ = known.get(record_id, ({}, (), when))
            known[record_id] = ({**old_values, **(values or {})}, (*old_unset, *unset), when)

    def delete(self, psa: str, collection: str, record_id: int) -> None:
        with self._lock:
            self.deleted(psa, collection).add(int(record_id))

    def reset(self) -> None:
        with self._lock:
            self._changed.clear()
            for ids in self._deleted.values():
                ids.clear()  # the sets are shared with live collections: empty, never replace

    def deleted(self, psa: str, collection: str) -> set[int]:
        """The live set of deleted ids (the same object on every call)."""
        return self._deleted.setdefault((psa, collection), set())

    def changed_ids(self, psa: str, collection: str) -> set[int]:
        return set(self._changed.get((psa, collection), ()))

    def apply(self, psa: str, collection: str, record: dict) -> dict:
        """``record`` with its changes laid over it (the record itself when it has none)."""
        known = self._changed.get((psa, collection))
        found = known.get(record.get("id")) if known else None
        if found is None:
            return record
        values, unset, when = found
        record = copy.deepcopy(record)
        if psa == "cw":
            record["_info"] = {**(record.get("_info") or {}), "lastUpdated": _cw_stamp(when)}
        else:
            for name in MODIFIED_FIELDS.get(collection, ()):
                record[name] = _at_stamp(when)
        record.update(copy.deepcopy(values))
        for name in unset:
            record.pop(name, None)
        return record

    def getter(self, psa: str, collection: str, get):
        """``get(index)`` with this board's changes applied."""
        return lambda index: self.apply(psa, collection, get(index))

    def as_list(self) -> list[dict]:
        with self._lock:
            out = [{"psa": psa, "collection": coll, "id": rid, "set": values, "unset": list(unset),
                    "when": when.isoformat()} for (psa, coll), known in self._changed.items()
                   for rid, (values, unset, when) in known.items()]
            out += [{"psa": psa, "collection": coll, "id": rid, "delete": True}
                    for (psa, coll), ids in self._deleted.items() for rid in sorted(ids)]
        return out


def for_state(state) -> PsaChanges:
    if getattr(state, "psa_changes", None) is None:
        state.psa_changes = PsaChanges()
    return state.psa_changes


_CURRENT: ContextVar[PsaChanges | None] = ContextVar("psa_changes", default=None)


@contextmanager
def applied(changes: PsaChanges):
    """Within the block, :func:`current` is ``changes`` (for code handed only a size)."""
    token = _CURRENT.set(changes)
    try:
        yield changes
    finally:
        _CURRENT.reset(token)


def current() -> PsaChanges | None:
    return _CURRENT.get()


def register(app, state) -> None:
    changes = for_state(state)

    @app.route("/_sim/records", methods=["GET", "POST", "DELETE"])
    def sim_records():
        if request.method == "DELETE":
            changes.reset()
        elif request.method == "POST":
            body = request.get_json(force=True, silent=True) or {}
            psa, collection, record_id = body.get("psa"), body.get("collection"), body.get("id")
            if psa not in PSAS or not isinstance(collection, str) or not isinstance(record_id, int):
                return {"error": "give psa (cw or at), collection and an integer id"}, 400
            if body.get("delete"):
                changes.delete(psa, collection, record_id)
            else:
                changes.change(psa, collection, record_id, body.get("set") or {}, body.get("unset") or ())
        return jsonify(changes.as_list())
