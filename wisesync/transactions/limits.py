"""Xero's per-organisation limits, kept across every worker process (DESIGN §10.3).

Xero allows an app 5 concurrent calls and 60 calls in any minute per organisation (and 5,000
a day, 1,000 on the Starter tier). Several workers sync at once, so the budget is shared:

- **Redis** when ``REDIS_URL`` is set: one Lua script per call atomically drops calls older
  than the window and expired slots, then either takes a slot (a sorted set of slot expiries)
  and counts the call (a sorted set of call times) or says how long to wait.
- **The database** otherwise: a call is a row of ``xero_call_slots``; the taker first writes
  the organisation's row of ``xero_limit_states`` (a row lock on PostgreSQL, the write lock on
  SQLite), so counting and inserting happen one taker at a time.

A slot is held for the length of one HTTP attempt and released after it; one whose worker was
killed expires after ``slot_ttl`` seconds. What Xero reports is shared too
(:meth:`XeroLimiter.observe`): ``X-MinLimit-Remaining: 0`` pauses every worker for a minute
before Xero has to refuse, a 429's ``Retry-After`` pauses them that long, and
``X-DayLimit-Remaining: 0`` (or a 429 naming the day) marks the daily cap spent:
:attr:`XeroLimiter.day_exhausted` turns true and :meth:`XeroLimiter.slot` raises
:class:`~wisesync.accounting.errors.XeroRateLimited` (``problem="day"``, with the message that
the rest waits for the next run) instead of calling.

Time is Unix seconds from an injectable ``clock`` (and ``sleep``), so tests count calls per
window without waiting. With Redis the workers' clocks should agree (NTP); the database stores
naive UTC.
"""
from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from sqlalchemy import case, delete, func, select, update

from wisesync.accounting.errors import XeroRateLimited
from wisesync.transactions.models import XeroCallSlot, XeroLimitState

log = logging.getLogger(__name__)

PER_MINUTE = 60
CONCURRENT = 5
WINDOW = 60.0  # seconds
SLOT_TTL = 120.0  # a slot outlives any single HTTP attempt (the client's timeouts are shorter)
MAX_WAIT = 300.0  # waiting longer than this for a slot ends the call as rate limited
POLL = 0.05  # how often a taker waiting for a concurrent slot looks again
DAY_PAUSE = 3600.0  # the daily cap is spent: stop for this long when Xero does not say
MINUTE_PAUSE = WINDOW  # Xero says no calls remain this minute


@dataclass(frozen=True)
class Grant:
    """A slot: release it with ``token``; ``at`` is the call's time as the shared state counts it."""

    token: str
    at: float


@dataclass(frozen=True)
class Refusal:
    """Why a slot was not given and how long until it is worth asking again."""

    wait: float
    why: str  # "day", "paused", "concurrent", "minute"


@dataclass(frozen=True)
class Limits:
    per_minute: int = PER_MINUTE
    concurrent: int = CONCURRENT
    window: float = WINDOW
    slot_ttl: float = SLOT_TTL


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def _seconds(moment: datetime | None) -> float:
    return 0.0 if moment is None else moment.replace(tzinfo=timezone.utc).timestamp()


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


# --- backends ---------------------------------------------------------------------------------

class DatabaseBackend:
    """Shared state in ``xero_call_slots`` / ``xero_limit_states``, on its own connections (never
    the caller's session: taking a slot must not commit the run's work, nor wait for it)."""

    def __init__(self, engine):
        self.engine = engine

    def _lock(self, conn, tenant: str, now: float):
        """Serialise on the organisation's state row; returns it. ``touched_at`` becomes the
        latest time any taker used, so shared time never runs backwards (a taker that read its
        clock before waiting for the lock must not count a window another already moved past)."""
        table = XeroLimitState.__table__
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        conn.execute(insert(table).values(tenant_id=tenant)
                     .on_conflict_do_nothing(index_elements=["tenant_id"]))
        # The write that serialises takers: a row lock on PostgreSQL, the database write lock on SQLite.
        moment = _dt(now)
        later = case(((table.c.touched_at.is_(None)) | (table.c.touched_at < moment), moment),
                     else_=table.c.touched_at)
        conn.execute(update(table).where(table.c.tenant_id == tenant).values(touched_at=later))
        return conn.execute(select(table).where(table.c.tenant_id == tenant)).one()

    def acquire(self, tenant: str, now: float, limits: Limits) -> Grant | Refusal:
        slots = XeroCallSlot.__table__
        with self.engine.begin() as conn:
            state = self._lock(conn, tenant, now)
            # Datetimes from here on: the window's edges are exact at the stored microseconds.
            moment = max(_dt(now), state.touched_at)
            now = _seconds(moment)
            refusal = _paused(state.day_exhausted_until, state.wait_until, now)
            if refusal:
                return refusal
            oldest = moment - timedelta(seconds=limits.window)
            conn.execute(delete(slots).where(slots.c.tenant_id == tenant, slots.c.started_at <= oldest,
                                             (slots.c.held_until.is_(None)) | (slots.c.held_until <= moment)))
            held = conn.execute(select(func.count(), func.min(slots.c.held_until)).where(
                slots.c.tenant_id == tenant, slots.c.held_until > moment)).one()
            if held[0] >= limits.concurrent:
                return Refusal(min(POLL, max(0.0, _seconds(held[1]) - now)), "concurrent")
            calls = conn.execute(select(func.count(), func.min(slots.c.started_at)).where(
                slots.c.tenant_id == tenant, slots.c.started_at > oldest)).one()
            if calls[0] >= limits.per_minute:
                return Refusal(max(0.0, _seconds(calls[1]) + limits.window - now), "minute")
            token = conn.execute(slots.insert().values(tenant_id=tenant, started_at=moment,
                                                       held_until=moment + timedelta(seconds=limits.slot_ttl))
                                 .returning(slots.c.id)).scalar_one()
        return Grant(str(token), now)

    def release(self, tenant: str, token: str, now: float) -> None:
        slots = XeroCallSlot.__table__
        with self.engine.begin() as conn:
            conn.execute(update(slots).where(slots.c.id == int(token)).values(held_until=None))

    def note(self, tenant: str, now: float, *, min_remaining=None, day_remaining=None,
             wait_until: float | None = None, day_until: float | None = None) -> None:
        table = XeroLimitState.__table__
        with self.engine.begin() as conn:
            state = self._lock(conn, tenant, now)
            values = {"observed_at": _dt(now)}
            if min_remaining is not None:
                values["min_remaining"] = min_remaining
            if day_remaining is not None:
                values["day_remaining"] = day_remaining
            if wait_until is not None and wait_until > _seconds(state.wait_until):
                values["wait_until"] = _dt(wait_until)
            if day_until is not None and day_until > _seconds(state.day_exhausted_until):
                values["day_exhausted_until"] = _dt(day_until)
            conn.execute(update(table).where(table.c.tenant_id == tenant).values(**values))

    def day_until(self, tenant: str, now: float) -> float:
        table = XeroLimitState.__table__
        with self.engine.connect() as conn:
            found = conn.execute(select(table.c.day_exhausted_until)
                                 .where(table.c.tenant_id == tenant)).scalar()
        return _seconds(found)


def _paused(day_until, wait_until, now: float) -> Refusal | None:
    day, pause = _seconds(day_until), _seconds(wait_until)
    if day > now:
        return Refusal(day - now, "day")
    if pause > now:
        return Refusal(pause - now, "paused")
    return None


# KEYS: calls (zset: token → start), slots (zset: token → expiry), state (hash)
# ARGV: now, window, per_minute, concurrent, ttl, token, poll. Numbers go back as strings (Lua
# numbers would come back truncated to integers). The state's ``now`` keeps shared time from
# running backwards (see DatabaseBackend._lock).
_ACQUIRE = """
local now = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[3], 'now') or '0')
if last > now then now = last else redis.call('HSET', KEYS[3], 'now', ARGV[1]) end
local window, per_minute, concurrent = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl, poll = tonumber(ARGV[5]), tonumber(ARGV[7])
local day = tonumber(redis.call('HGET', KEYS[3], 'day_until') or '0')
if day > now then return {'0', tostring(day - now), 'day'} end
local pause = tonumber(redis.call('HGET', KEYS[3], 'wait_until') or '0')
if pause > now then return {'0', tostring(pause - now), 'paused'} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= concurrent then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {'0', tostring(math.min(poll, math.max(0, tonumber(first[2]) - now))), 'concurrent'}
end
if redis.call('ZCARD', KEYS[1]) >= per_minute then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'0', tostring(math.max(0, tonumber(first[2]) + window - now)), 'minute'}
end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[6])
redis.call('EXPIRE', KEYS[1], math.ceil(window + ttl) + 60)
redis.call('EXPIRE', KEYS[2], math.ceil(ttl) + 60)
return {'1', tostring(now), 'ok'}
"""

# KEYS: state. ARGV: field, value — keeps the later of the stored and the given time.
_EXTEND = """
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], 172800)
return 1
"""


class RedisBackend:
    """Shared state in Redis under ``<prefix>:<tenant>:{calls,slots,state}``."""

    def __init__(self, client, prefix: str = "wisesync:xero-limits"):
        self.client = client
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._extend = client.register_script(_EXTEND)

    def _keys(self, tenant: str) -> list[str]:
        base = f"{self.prefix}:{tenant}"
        return [f"{base}:calls", f"{base}:slots", f"{base}:state"]

    def acquire(self, tenant: str, now: float, limits: Limits) -> Grant | Refusal:
        token = uuid.uuid4().hex
        ok, value, why = self._acquire(keys=self._keys(tenant), args=[
            repr(now), repr(limits.window), limits.per_minute, limits.concurrent, repr(limits.slot_ttl),
            token, repr(POLL)])
        if _text(ok) == "1":
            return Grant(token, float(_text(value)))
        return Refusal(float(_text(value)), _text(why))

    def release(self, tenant: str, token: str, now: float) -> None:
        self.client.zrem(self._keys(tenant)[1], token)

    def note(self, tenant: str, now: float, *, min_remaining=None, day_remaining=None,
             wait_until: float | None = None, day_until: float | None = None) -> None:
        state = self._keys(tenant)[2]
        values = {"observed_at": repr(now)}
        if min_remaining is not None:
            values["min_remaining"] = min_remaining
        if day_remaining is not None:
            values["day_remaining"] = day_remaining
        self.client.hset(state, mapping=values)
        for name, moment in (("wait_until", wait_until), ("day_until", day_until)):
            if moment is not None:
                self._extend(keys=[state], args=[name, repr(moment)])

    def day_until(self, tenant: str, now: float) -> float:
        value = self.client.hget(self._keys(tenant)[2], "day_until")
        return float(_text(value)) if value else 0.0


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- the limiter ------------------------------------------------------------------------------

class XeroLimiter:
    """The ``limiter`` a :class:`~wisesync.accounting.xero.XeroClient` takes, for one
    organisation: ``slot()`` around every HTTP attempt, ``observe(headers)`` after each."""

    def __init__(self, tenant_id: str, backend, *, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 max_wait: float = MAX_WAIT):
        self.tenant_id = tenant_id
        self.backend = backend
        self.limits = limits or Limits()
        self.clock, self.sleep, self.max_wait = clock, sleep, max_wait
        self.waited = 0.0  # seconds spent waiting for slots (benchmarks and logs report it)

    @contextmanager
    def slot(self):
        """Wait for a call slot of this organisation; raise :class:`XeroRateLimited` when the
        daily cap is spent (``problem="day"``) or the wait would exceed ``max_wait``."""
        token = self._take()
        try:
            yield
        finally:
            try:
                self.backend.release(self.tenant_id, token, self.clock())
            except Exception:  # the slot then expires by itself after slot_ttl
                log.warning("Could not release a Xero call slot of %s", self.tenant_id, exc_info=True)

    def _take(self) -> str:
        waited = 0.0
        while True:
            refusal = self.backend.acquire(self.tenant_id, self.clock(), self.limits)
            if isinstance(refusal, Grant):
                return refusal.token
            if refusal.why == "day":
                raise daily_cap_reached(refusal.wait)
            if waited + refusal.wait > self.max_wait:
                raise XeroRateLimited(
                    "Wise-Sync waited too long for a free Xero call slot for this organisation (other syncs "
                    "use its 60 calls a minute and 5 at once).",
                    "Sync again in a few minutes; the records not synced yet wait for the next run.",
                    status=429, retry_after=refusal.wait, problem="minute" if refusal.why != "concurrent"
                    else "concurrent")
            wait = max(refusal.wait, 0.001)
            self.sleep(wait)
            waited += wait
            self.waited += wait

    def observe(self, headers: Mapping) -> None:
        """Read Xero's rate-limit headers (any response, 429 included) into the shared state."""
        get = getattr(headers, "get", None)
        if get is None:
            return
        now = self.clock()
        minute, day = _int(get("X-MinLimit-Remaining")), _int(get("X-DayLimit-Remaining"))
        problem = (get("X-Rate-Limit-Problem") or "").strip().lower()
        retry_after = _float(get("Retry-After"))
        wait_until = day_until = None
        if minute is not None and minute <= 0:
            wait_until = now + MINUTE_PAUSE
        if problem and problem != "day" and retry_after is not None:
            wait_until = max(wait_until or 0.0, now + retry_after)
        if (day is not None and day <= 0) or problem == "day":
            day_until = now + (retry_after if retry_after is not None and problem == "day" else DAY_PAUSE)
        if minute is None and day is None and wait_until is None and day_until is None:
            return
        self.backend.note(self.tenant_id, now, min_remaining=minute, day_remaining=day,
                          wait_until=wait_until, day_until=day_until)

    @property
    def day_exhausted(self) -> bool:
        """Xero's daily cap for this organisation is spent (as far as any worker has seen)."""
        return self.backend.day_until(self.tenant_id, self.clock()) > self.clock()

    def day_error(self) -> XeroRateLimited:
        """The error (and message) a run stops with when :attr:`day_exhausted`."""
        now = self.clock()
        return daily_cap_reached(max(0.0, self.backend.day_until(self.tenant_id, now) - now))


def daily_cap_reached(seconds_left: float | None) -> XeroRateLimited:
    from wisesync.accounting.xero_http import rate_limited

    return rate_limited("day", seconds_left, 0, "")


def make_backend(redis_url: str = "", engine=None):
    """Redis when a URL is given, else the database behind ``engine``."""
    if redis_url:
        import redis

        return RedisBackend(redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5))
    if engine is None:
        raise ValueError("make_backend needs a Redis URL or a database engine")
    return DatabaseBackend(engine)


def limiter_for(tenant_id: str, app=None, **options) -> XeroLimiter:
    """The limiter for one organisation in this app: Redis when ``REDIS_URL`` is set, else
    the database (the backend is built once per app and shared by its threads)."""
    from flask import current_app

    from wisesync.extensions import db

    app = app or current_app._get_current_object()
    backend = app.extensions.get("wisesync_xero_limits")
    if backend is None:
        with app.app_context():
            backend = make_backend(app.config.get("REDIS_URL") or "", db.engine)
        app.extensions["wisesync_xero_limits"] = backend
    return XeroLimiter(tenant_id, backend, **options)
