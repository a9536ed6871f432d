"""ConnectWise list semantics for the simulator: ``conditions``, ``page``/``pageSize``,
forward-only paging with ``pageId``, and the ``Link`` header.

A collection is a size and a function from index (1-based) to record, so nothing is held in
memory; a plain page is computed by slicing indexes, a filtered one by scanning.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator
from urllib.parse import urlencode

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000


class ConditionError(ValueError):
    """``conditions`` could not be parsed; the simulator answers 400 like ConnectWise."""


@dataclass
class Collection:
    size: int
    get: Callable[[int], dict]
    id_is_index: bool = True  # record ``id`` == index, so ``pageId`` maps straight to an index
    excluded: set = field(default_factory=set)  # ids hidden (e.g. invoices already batched)

    def iter_from(self, start: int = 1, predicate=None) -> Iterator[dict]:
        for index in range(max(1, start), self.size + 1):
            if self.id_is_index and index in self.excluded:
                continue
            record = self.get(index)
            if record["id"] in self.excluded or (predicate and not predicate(record)):
                continue
            yield record


_CLAUSE = re.compile(
    r"""\s*(?P<field>[A-Za-z_]\w*(?:[/.][A-Za-z_]\w*)*)\s*
        (?P<op>not\s+like\b|like\b|contains\b|<=|>=|!=|<>|=|<|>)\s*
        (?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|-?\d+(?:\.\d+)?|true\b|false\b|null\b)\s*""",
    re.IGNORECASE | re.VERBOSE)
_JOIN = re.compile(r"(and|or)\b\s*", re.IGNORECASE)
_OPS = {"=": operator.eq, "!=": operator.ne, "<>": operator.ne, "<": operator.lt,
        "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_INFO_FIELDS = {"lastupdated", "dateentered", "updatedby", "enteredby"}


def parse_conditions(text: str | None):
    """``id>5 and name like "Acme%"`` → a predicate on a record (None when ``text`` is empty).

    Supports ``= != <> < <= > >= like, not like, contains`` with numbers, quoted strings,
    ``[dates]``, true/false/null; ``and`` binds tighter than ``or``; no parentheses.
    """
    if not text or not text.strip():
        return None
    groups, current, pos = [], [], 0
    while True:
        match = _CLAUSE.match(text, pos)
        if not match:
            raise ConditionError(f"conditions: cannot parse {text[pos:pos + 40]!r}")
        current.append(_clause(match["field"], match["op"].lower(), match["value"]))
        pos = match.end()
        if pos >= len(text):
            break
        join = _JOIN.match(text, pos)
        if not join:
            raise ConditionError(f"conditions: expected and/or at {text[pos:pos + 40]!r}")
        if join[1].lower() == "or":
            groups.append(current)
            current = []
        pos = join.end()
    groups.append(current)
    return lambda record: any(all(c(record) for c in group) for group in groups)


def _literal(raw: str):
    if raw[0] in "\"'":
        return raw[1:-1].replace('\\"', '"')
    if raw[0] == "[":
        try:
            return _as_datetime(raw[1:-1])
        except ValueError:
            raise ConditionError(f"conditions: {raw} is not a date") from None
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    return float(raw) if "." in raw else int(raw)


def _as_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def _lookup(record: dict, path: str):
    parts = re.split(r"[/.]", path)
    value = record
    if parts[0] not in record and parts[0].lower() in _INFO_FIELDS:
        value = record.get("_info", {})
        parts[0] = {k.lower(): k for k in value}.get(parts[0].lower(), parts[0])
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _clause(path: str, op: str, raw: str):
    wanted = _literal(raw)
    if op in ("like", "not like", "contains"):
        if not isinstance(wanted, str):
            raise ConditionError(f"conditions: {op} needs a quoted string")
        pattern = ".*" + re.escape(wanted) + ".*" if op == "contains" else \
            "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in wanted)
        regex = re.compile(pattern + r"\Z", re.IGNORECASE | re.DOTALL)
        negate = op == "not like"
        return lambda r: (isinstance(v := _lookup(r, path), str) and bool(regex.match(v))) != negate
    compare = _OPS[op]

    def check(record):
        value = _lookup(record, path)
        if wanted is None or value is None:
            return compare(value, wanted) if op in ("=", "!=", "<>") else False
        try:
            if isinstance(wanted, datetime):
                return compare(_as_datetime(str(value)), wanted)
            if isinstance(wanted, str):
                return compare(str(value).lower(), wanted.lower())
            return compare(value, wanted)
        except (TypeError, ValueError):
            return False
    return check


def _int_arg(args, name: str, default: int | None) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConditionError(f"{name} must be a whole number") from None


def count(collection: Collection, args) -> int:
    predicate = parse_conditions(args.get("conditions"))
    if predicate is None and not collection.excluded:
        return collection.size
    return sum(1 for _ in collection.iter_from(1, predicate))


def page(collection: Collection, args, forward_only: bool, base_url: str) -> tuple[list[dict], str]:
    """The records of one page and the ``Link`` header value (may be empty)."""
    predicate = parse_conditions(args.get("conditions"))
    size = min(max(1, _int_arg(args, "pageSize", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
    keep = {k: v for k, v in args.items(multi=False) if k not in ("page", "pageId", "pageSize", "_fault")}

    def link(rel: str, **params) -> str:
        return f'<{base_url}?{urlencode({**keep, "pageSize": size, **params})}>; rel="{rel}"'

    if forward_only:
        after = _int_arg(args, "pageId", 0) or 0
        start = after + 1 if collection.id_is_index else 1
        records = []
        for record in collection.iter_from(start, predicate):
            if record["id"] <= after:
                continue
            if len(records) == size:  # one more exists: there is a next page
                return records, link("next", pageId=records[-1]["id"])
            records.append(record)
        return records, ""
    number = max(1, _int_arg(args, "page", 1))
    if predicate is None and not collection.excluded:
        total = collection.size
        first = (number - 1) * size + 1
        records = [collection.get(i) for i in range(first, min(total, first + size - 1) + 1)]
    else:
        matching = collection.iter_from(1, predicate)
        records, total = [], 0
        for record in matching:
            total += 1
            if (number - 1) * size < total <= number * size:
                records.append(record)
    last = max(1, -(-total // size))
    links = []
    if number > 1:
        links += [link("first", page=1), link("prev", page=min(number - 1, last))]
    if number < last:
        links += [link("next", page=number + 1), link("last", page=last)]
    return records, ", ".join(links)
