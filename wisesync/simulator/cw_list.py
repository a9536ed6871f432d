"""ConnectWise list semantics for the simulator: a collection of records computed from their
index, and the pages, counts, ``orderBy``, ``fields`` and ``Link`` headers over it, with the
``conditions`` language of :mod:`wisesync.simulator.cw_query`. Forward-only paging with
``pageId`` too.

A collection is a size and a function from index (1-based) to record, so nothing is held in
memory; a plain page is computed by slicing indexes, a filtered or re-ordered one by scanning
only the candidates a condition allows (``id > N``, ``lastUpdated > […]``), the way the PSA's
indexes would.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Callable, Iterator
from urllib.parse import urlencode

from wisesync.simulator.cw_query import (_DATE_TEXT, _SAMPLE, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
                                         ConditionError, Schema, _array_prefix, _lookup, as_datetime,
                                         normal_args, not_recognized, predicate)


@dataclass
class Collection:
    size: int
    get: Callable[[int], dict]
    id_is_index: bool = True  # record ``id`` == index, so ``pageId`` maps straight to an index
    excluded: set = field(default_factory=set)  # ids hidden (e.g. invoices already batched)
    changed: Callable[[], set] | None = None  # ids whose record differs from the seed
    # index of the first seed record updated after a time (None: none is); set when seeds'
    # lastUpdated grows with the index, so ``lastUpdated>[…]`` need not read the older ones
    first_updated_after: Callable | None = None

    def iter_from(self, start: int = 1, predicate=None) -> Iterator[dict]:
        """Records from index ``start`` on, in id order, that pass ``predicate``. A predicate's
        ``id_floor`` / ``updated_after`` (see :func:`predicate`) let the scan start late, the
        way ConnectWise's indexes would: only the candidates that can match are read."""
        for index in self._candidates(max(1, start), predicate):
            if self.id_is_index and index in self.excluded:
                continue
            record = self.get(index)
            if record["id"] in self.excluded or (predicate and not predicate(record)):
                continue
            yield record

    def _candidates(self, start: int, predicate) -> Iterator[int]:
        if self.id_is_index:
            floor = getattr(predicate, "id_floor", None)
            start = max(start, floor or 1)
        after = getattr(predicate, "updated_after", None)
        if after is None or self.first_updated_after is None or not self.id_is_index:
            yield from range(start, self.size + 1)
            return
        first = self.first_updated_after(after)
        first = self.size + 1 if first is None else max(first, start)
        changed = self.changed() if self.changed else set()
        yield from sorted(i for i in changed if start <= i < first)  # changed since: any index
        yield from range(first, self.size + 1)

    def schema(self) -> "Schema":
        """The field names the records use, learnt from the first few (records leave out a
        field with no value, so several are read)."""
        schema = Schema()
        for index in range(1, min(self.size, _SAMPLE) + 1):
            schema.learn(self.get(index))
        return schema


def _order(schema: Schema, text: str | None):
    """``orderBy`` (``name asc, id desc``) → list of (path, descending), None when absent."""
    if not text or not text.strip():
        return None
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ConditionError(f"orderBy: cannot parse {part.strip()!r}; use a field name and asc or desc",
                                 "orderBy")
        path, kind = schema.resolve(words[0], "orderBy")
        if kind != "value" or _array_prefix(schema, path):
            raise not_recognized(words[0], "orderBy")
        keys.append((path, len(words) == 2 and words[1].lower() == "desc"))
    return keys


def _sort_key(value):
    # SQL Server sorts NULL first; text without regard to case.
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower()) if not _DATE_TEXT.match(value) else (1, as_datetime(value).isoformat())
    if isinstance(value, bool):
        return (1, int(value))
    return (1, value)


def _sorted(records: list[dict], keys) -> list[dict]:
    records = sorted(records, key=lambda r: r.get("id", 0))
    for path, descending in reversed(keys):
        records.sort(key=lambda r: _sort_key(_lookup(r, path)), reverse=descending)
    return records


def _only_id_ascending(keys) -> bool:
    return keys is None or keys == [("id", False)]


def select_fields(record: dict, schema: Schema, text: str | None) -> dict:
    """``fields=id,name,status/name`` → only those (nested ones inside their objects). Names
    ConnectWise would not know are left out (whether it refuses them instead: UNVERIFIED)."""
    if not text or not text.strip():
        return record
    out: dict = {}
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        try:
            path, _ = schema.resolve(name, "fields")
        except ConditionError:
            continue
        value = _lookup(record, path)
        if value is None:
            continue
        target, parts = out, path.split("/")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _int_arg(args, name: str, default: int | None) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConditionError(f"{name} must be a whole number", name) from None


def _id_range(collection: Collection, test) -> int | None:
    """The first index when ``test`` is only ``id > N`` (a keyset page) on an id-indexed
    collection: its matches are every index from there that is not excluded."""
    if test is not None and getattr(test, "only_id", False) and collection.id_is_index:
        return max(1, test.id_floor)
    return None


def _ids_from(collection: Collection, first: int) -> tuple[int, Iterator[int]]:
    hidden = sum(1 for i in collection.excluded if isinstance(i, int) and i >= first)
    total = max(0, collection.size - first + 1 - hidden)
    return total, (i for i in range(first, collection.size + 1) if i not in collection.excluded)


def count(collection: Collection, args) -> int:
    args = normal_args(args)
    test = predicate(collection, args)
    if test is None and not collection.excluded:
        return collection.size
    first = _id_range(collection, test)
    if first is not None:
        return _ids_from(collection, first)[0]
    return sum(1 for _ in collection.iter_from(1, test))


def page(collection: Collection, args, forward_only: bool, base_url: str) -> tuple[list[dict], str]:
    """The records of one page and the ``Link`` header value (may be empty)."""
    args = normal_args(args)
    needs_schema = any((args.get(p) or "").strip() for p in ("conditions", "childConditions", "orderBy", "fields"))
    schema = collection.schema() if needs_schema else Schema()
    test = predicate(collection, args, schema)
    keys = _order(schema, args.get("orderBy"))
    size = min(max(1, _int_arg(args, "pageSize", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
    keep = {k: v for k, v in args.items() if k not in ("page", "pageId", "pageSize", "_fault")}

    def link(rel: str, **params) -> str:
        # ``page``/``pageId`` last, as ConnectWise writes it (pyconnectwise reads ``page=N>``).
        return f'<{base_url}?{urlencode({**keep, "pageSize": size, **params})}>; rel="{rel}"'

    def shaped(records):
        return [select_fields(r, schema, args.get("fields")) for r in records]

    if forward_only:
        if not _only_id_ascending(keys):
            # Keyset paging walks ids upwards; another order cannot be paged that way.
            raise ConditionError("orderBy is not supported with forward-only pagination (pageId); "
                                 "records come in id order", "orderBy")  # wording UNVERIFIED
        after = _int_arg(args, "pageId", 0) or 0
        start = after + 1 if collection.id_is_index else 1
        records = []
        for record in collection.iter_from(start, test):
            if record["id"] <= after:
                continue
            if len(records) == size:  # one more exists: there is a next page
                return shaped(records), link("next", pageId=records[-1]["id"])
            records.append(record)
        return shaped(records), ""
    number = max(1, _int_arg(args, "page", 1))
    if test is None and not collection.excluded and _only_id_ascending(keys):
        total = collection.size
        first = (number - 1) * size + 1
        records = [collection.get(i) for i in range(first, min(total, first + size - 1) + 1)]
    elif _only_id_ascending(keys) and _id_range(collection, test) is not None:
        total, ids = _ids_from(collection, _id_range(collection, test))
        records = [collection.get(i) for i in islice(ids, (number - 1) * size, number * size)]
    elif _only_id_ascending(keys):
        records, total = [], 0
        for record in collection.iter_from(1, test):
            total += 1
            if (number - 1) * size < total <= number * size:
                records.append(record)
    else:
        matching = _sorted(list(collection.iter_from(1, test)), keys)
        total = len(matching)
        records = matching[(number - 1) * size: number * size]
    last = max(1, -(-total // size))
    links = []
    if number > 1:
        links += [link("first", page=1), link("prev", page=min(number - 1, last))]
    if number < last:
        links += [link("next", page=number + 1), link("last", page=last)]
    return shaped(records), ", ".join(links)
