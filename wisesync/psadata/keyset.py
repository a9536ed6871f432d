"""Keyset paging: a page starts after (or ends before) the key of a row, never at an OFFSET.

A list order is a run of *segments* (active rows first, then inactive; within those, rows
with a value before rows without), each ordered by ``(column, id)`` — or by ``id`` alone
where the column is NULL — and served by an index on ``(account_id, active, column, id)``.
A page is then one or two index range scans however deep it is. A key names the segment,
the row's id and its column value, so a link keeps its place when rows come and go.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from sqlalchemy import literal, tuple_

from wisesync.extensions import db


class BadKey(ValueError):
    """A page link whose position cannot be read (edited or cut short)."""


@dataclass(frozen=True)
class Segment:
    where: tuple  # conditions that pick the segment's rows
    column: Any = None  # ordered by (column, id); None: by id alone


@dataclass(frozen=True)
class Order:
    segments: tuple[Segment, ...]
    id_column: Any
    value: Callable[[Any], Any]  # row -> its order column value
    parse: Callable[[str], Any] = str  # a key's value text -> the column's Python value


@dataclass(frozen=True)
class Key:
    segment: int
    id: int
    value: Any = None

    def token(self) -> str:
        return f"{self.segment}.{self.id}.{'' if self.value is None else self.value}"


@dataclass
class KeysetPage:
    items: list
    first_key: Key | None = None
    last_key: Key | None = None
    has_prev: bool = False
    has_next: bool = False
    extra: dict = field(default_factory=dict)


def parse_key(token: str, order: Order) -> Key:
    try:
        segment, row_id, value = token.split(".", 2)
        segment, row_id = int(segment), int(row_id)
        if not 0 <= segment < len(order.segments) or not 0 <= row_id < 2**31:  # ids are INTEGER
            raise ValueError(segment)
        column = order.segments[segment].column
        return Key(segment, row_id, order.parse(value) if column is not None else None)
    except (ValueError, InvalidOperation) as exc:
        raise BadKey(token) from exc


def parse_decimal(value: str, limit: Decimal = Decimal(10) ** 10) -> Decimal:
    """A price from a key: finite and within NUMERIC(14, 4), or the database would refuse it."""
    number = Decimal(value)
    if not number.is_finite() or abs(number) >= limit:
        raise InvalidOperation(value)
    return number


def _scan(stmt, order: Order, start: int, bound: Key | None, limit: int, forward: bool):
    """Up to ``limit`` ``(segment, row)`` from ``bound`` (exclusive) in one direction."""
    found: list = []
    segments = range(start, len(order.segments)) if forward else range(start, -1, -1)
    for index in segments:
        segment = order.segments[index]
        cols = (order.id_column,) if segment.column is None else (segment.column, order.id_column)
        query = stmt.where(*segment.where)
        if bound is not None and index == bound.segment:
            here = tuple_(*cols)
            # typed as the columns, so PostgreSQL compares numeric to numeric and uses the index
            there = (tuple_(literal(bound.id, cols[0].type)) if segment.column is None else
                     tuple_(literal(bound.value, cols[0].type), literal(bound.id, cols[1].type)))
            query = query.where(here > there if forward else here < there)
        query = query.order_by(*(cols if forward else [c.desc() for c in cols])).limit(limit - len(found))
        found.extend((index, row) for row in db.session.execute(query))
        if len(found) >= limit:
            break
    return found


def _key(order: Order, segment: int, row) -> Key:
    value = None if order.segments[segment].column is None else order.value(row)
    return Key(segment, row[0].id, value)


def page(stmt, order: Order, per_page: int, after: Key | None = None, before: Key | None = None,
         last: bool = False) -> KeysetPage:
    """The page of ``stmt`` (a SELECT whose first entity has ``.id``) at the given position."""
    end = len(order.segments) - 1
    if before is not None or last:
        rows = _scan(stmt, order, before.segment if before else end, before, per_page + 1, forward=False)
        more_before = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
    else:
        rows = _scan(stmt, order, after.segment if after else 0, after, per_page + 1, forward=True)
        more_after = len(rows) > per_page
        rows = rows[:per_page]
    if not rows and (after is not None or before is not None):
        # Nothing left on that side of the key (its rows went): the nearest real page instead.
        return page(stmt, order, per_page, last=after is not None)
    keys = [_key(order, segment, row) for segment, row in rows]
    result = KeysetPage(items=[row for _segment, row in rows],
                        first_key=keys[0] if keys else None, last_key=keys[-1] if keys else None)
    if before is not None or last:
        result.has_prev = more_before
        result.has_next = (bool(keys) and not last
                           and bool(_scan(stmt, order, keys[-1].segment, keys[-1], 1, forward=True)))
    else:
        result.has_next = more_after
        probe = keys[0] if keys else after  # the first page has nothing before it
        result.has_prev = after is not None and bool(_scan(stmt, order, probe.segment, probe, 1, False))
    return result
