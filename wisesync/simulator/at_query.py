"""Autotask query semantics for the simulator: filter expressions and keyset paging.

Filters are the REST API's ``{"op", "field", "value"}`` objects with ``and``/``or`` groups
(``{"op": "or", "items": [...]}``). String comparisons ignore case, as Autotask's do. Pages
walk the records in id order; a top-level ``id`` bound lets a page start without scanning the
records before it, so following ``nextPageUrl`` through 50,000 records stays linear.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterator

from wisesync.simulator import at_data, psa_changes

MAX_RECORDS = 500
_COMPARE = {"eq", "noteq", "gt", "gte", "lt", "lte"}
_TEXT = {"beginswith", "endswith", "contains"}
OPS = _COMPARE | _TEXT | {"exist", "notexist", "in", "notin", "and", "or"}


class QueryError(ValueError):
    """A query Autotask would reject; the message is what the simulator answers in ``errors``."""


def validate(entity: str, filters: list, fields: set[str]) -> None:
    if not isinstance(filters, list):
        raise QueryError("filter must be an array of filter expressions.")
    for item in filters:
        if not isinstance(item, dict):
            raise QueryError("Each filter must be an object with op, field and value.")
        op = str(item.get("op", "")).lower()
        if op not in OPS:
            raise QueryError(f"Invalid operator '{item.get('op')}' in filter.")
        if op in ("and", "or"):
            validate(entity, item.get("items") or [], fields)
        elif item.get("field") not in fields and not item.get("udf"):
            raise QueryError(f"Unable to find {item.get('field')} in the {entity} entity.")


def included(entity: str, names, fields: set[str]) -> list[str]:
    """``includeFields`` (QueryModel in the fixture) as the entity's own field names, ``id``
    always among them; names compare without regard to case. That the id always comes back,
    and the wording for an unknown name (the filter's), are UNVERIFIED."""
    if not names:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise QueryError("includeFields must be an array of field names.")
    known = {name.lower(): name for name in fields}
    out = ["id"]
    for name in names:
        canonical = known.get(name.lower())
        if canonical is None:
            raise QueryError(f"Unable to find {name} in the {entity} entity.")
        if canonical not in out:
            out.append(canonical)
    return out


def matches(record: dict, filters: list) -> bool:
    return all(_match(record, f) for f in filters)


def _match(record: dict, expr: dict) -> bool:
    op = str(expr.get("op", "")).lower()
    if op == "and":
        return all(_match(record, e) for e in expr.get("items") or [])
    if op == "or":
        return any(_match(record, e) for e in expr.get("items") or [])
    actual, wanted = record.get(expr.get("field")), expr.get("value")
    if op == "exist":
        return actual not in (None, "")
    if op == "notexist":
        return actual in (None, "")
    if op in ("in", "notin"):
        found = any(_equal(actual, w) for w in (wanted if isinstance(wanted, list) else [wanted]))
        return found if op == "in" else not found
    if actual is None:
        return op == "noteq" and wanted is not None
    if op in _TEXT:
        a, w = str(actual).lower(), str(wanted).lower()
        return a.startswith(w) if op == "beginswith" else a.endswith(w) if op == "endswith" else w in a
    if op == "eq":
        return _equal(actual, wanted)
    if op == "noteq":
        return not _equal(actual, wanted)
    try:
        a, w = _comparable(actual, wanted)
    except (TypeError, ValueError):
        return False
    return {"gt": a > w, "gte": a >= w, "lt": a < w, "lte": a <= w}[op]


def _equal(actual, wanted) -> bool:
    try:
        a, w = _comparable(actual, wanted)
    except (TypeError, ValueError):
        return False
    return a == w


def _comparable(actual, wanted):
    if isinstance(actual, bool):
        return actual, str(wanted).lower() in ("true", "1") if not isinstance(wanted, bool) else wanted
    if isinstance(actual, (int, float)):
        return float(actual), float(wanted)
    a, w = str(actual).lower(), str(wanted).lower()
    if len(w) == 10 and len(a) > 10 and a[4:5] == "-":  # a date compared with a datetime
        a = a[:10]
    elif _DATETIME.match(a) and _DATETIME.match(w):  # 09:00:00.000Z and 09:00:00Z are one time
        return _instant(a), _instant(w)
    return a, w


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})?\Z")


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # Autotask speaks UTC


def id_bounds(filters: list, records: int, entity: str) -> tuple[int, int]:
    """Index range [lo, hi) implied by top-level ``id`` filters (the rest are checked per record)."""
    records = at_data.total(entity, records)  # reference entities have a fixed size
    lo, hi = 0, records
    base = at_data.BASE_IDS[entity]
    for f in filters:
        if f.get("field") != "id" or str(f.get("op", "")).lower() not in ("eq", "gt", "gte", "lt", "lte"):
            continue
        try:
            value = int(f.get("value")) - base
        except (TypeError, ValueError):
            continue
        op = str(f["op"]).lower()
        if op in ("eq", "gte"):
            lo = max(lo, value)
        if op == "gt":
            lo = max(lo, value + 1)
        if op in ("eq", "lte"):
            hi = min(hi, value + 1)
        if op == "lt":
            hi = min(hi, value)
    return max(lo, 0), max(min(hi, records), 0)


def _only_ids(filters: list) -> bool:
    return all(f.get("field") == "id" and str(f.get("op", "")).lower() in ("eq", "gt", "gte", "lt", "lte")
               for f in filters)


def record(entity: str, index: int, records: int) -> dict | None:
    """Record ``index`` as the simulator shows it now: with the changes of ``psa_changes``
    (the board of the simulator answering this request) over it, None once deleted."""
    rec = at_data.record(entity, index, records)
    changes = psa_changes.current()
    if changes is None:
        return rec
    if rec["id"] in changes.deleted("at", entity):
        return None
    return changes.apply("at", entity, rec)


def scan(entity: str, filters: list, records: int, start: int = 0) -> Iterator[tuple[int, dict]]:
    """(index, record) pairs matching ``filters`` from index ``start`` on, in id order."""
    lo, hi = id_bounds(filters, records, entity)
    for index in range(max(lo, start), hi):
        rec = record(entity, index, records)
        if rec is not None and matches(rec, filters):
            yield index, rec


def count(entity: str, filters: list, records: int) -> int:
    lo, hi = id_bounds(filters, records, entity)
    changes = psa_changes.current()
    if _only_ids(filters) and not (changes and changes.deleted("at", entity)):
        return max(0, hi - lo)
    return sum(1 for _ in scan(entity, filters, records))


def page(entity: str, filters: list, records: int, size: int, start: int = 0):
    """Up to ``size`` matching records from index ``start``; also the next page's start index."""
    items, next_start = [], None
    for index, rec in scan(entity, filters, records, start):
        if len(items) == size:
            next_start = index
            break
        items.append(rec)
    return items, next_start
