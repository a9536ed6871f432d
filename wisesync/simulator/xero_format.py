"""Xero's wire format: JSON numbers from ``Decimal`` (never via float), MS-JSON dates
(``/Date(1573755038314+0000)/``, fixtures quirk X4) with their readable twins, and parsing of
the date forms Xero accepts in requests."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_EPOCH = datetime(1970, 1, 1)
# The readable twins Xero answers beside MS-JSON dates (spec examples: DateString, DueDateString,
# UpdatedDateUTCString on invoices, credit notes and payments).
DATE_TWINS = {"Date": "DateString", "DueDate": "DueDateString",
              "FullyPaidOnDate": "FullyPaidOnDateString"}
UPDATED_TWIN_TYPES = ("Invoices", "CreditNotes", "Payments")


def ms_date(value: date | datetime, offset: bool = True) -> str:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    millis = int((moment - _EPOCH) / timedelta(milliseconds=1))
    return f"/Date({millis}+0000)/" if offset else f"/Date({millis})/"


def date_string(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{value.isoformat()}T00:00:00"


def render(value, updated_twin: bool = False):
    """A record (dicts/lists of Python values) in Xero's JSON value form: dates → MS-JSON plus
    twins, ``Decimal`` left for ``dumps``. ``updated_twin`` adds ``UpdatedDateUTCString``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            out[key] = render(item)
            if isinstance(item, date) and key in DATE_TWINS:
                out[DATE_TWINS[key]] = date_string(item)
        if updated_twin and isinstance(value.get("UpdatedDateUTC"), datetime):
            out["UpdatedDateUTCString"] = value["UpdatedDateUTC"].strftime("%Y-%m-%dT%H:%M:%SZ")
        return out
    if isinstance(value, (list, tuple)):
        return [render(item) for item in value]
    if isinstance(value, (date, datetime)):
        return ms_date(value)
    return value


def dumps(value) -> str:
    """Compact JSON; ``Decimal`` written as a plain JSON number."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def loads(text: bytes | str):
    return json.loads(text, parse_float=Decimal)


def decimal(value) -> Decimal | None:
    """A request number (JSON number or numeric string) as ``Decimal``; ``None`` when absent or
    not a number (the caller reports it)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None


def money(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_MS = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_date(value) -> date | None:
    """A request date: ``2026-01-15``, ``2026-01-15T00:00:00`` or ``/Date(ms+0000)/``."""
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    if not isinstance(value, str) or not value.strip():
        return None
    moment = parse_datetime(value)
    return moment.date() if moment else None


def parse_datetime(value: str) -> datetime | None:
    """An ISO-8601 or MS-JSON timestamp as naive UTC; ``None`` when unreadable."""
    text = value.strip()
    match = _MS.fullmatch(text)
    if match:
        return _EPOCH + timedelta(milliseconds=int(match[1]))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
