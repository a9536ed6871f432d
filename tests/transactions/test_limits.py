"""The shared Xero call budget: 60 calls in any minute and 5 at once per organisation, across
threads and processes, in the database (SQLite and PostgreSQL) and in Redis. Time is a fake
clock that only the limiter's own waits move, so calls are counted per window, never timed."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from wisesync.accounting.errors import XeroRateLimited
from wisesync.transactions.limits import (DatabaseBackend, Grant, Limits, Refusal, RedisBackend, XeroLimiter,
                                          limiter_for)

REDIS_URL = "redis://127.0.0.1:6379/13"
START = 1_800_000_000.0


class FakeClock:
    """Shared by every thread of a test; ``sleep`` moves it (and yields to other threads).

    Threads sleep in parallel: one that read the clock at T and sleeps s wakes at T + s, so
    the clock moves to the latest such wake-up, not to the sum of everyone's sleeps."""

    def __init__(self):
        self.now = START
        self.lock = threading.Lock()
        self.slept: list[float] = []
        self.seen = threading.local()

    def __call__(self) -> float:
        with self.lock:
            self.seen.at = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now = max(self.now, getattr(self.seen, "at", self.now) + seconds)
            self.slept.append(seconds)
        time.sleep(0.0005)

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class Recording:
    """Wraps a backend and records when each slot was given (by the clock the backend used)."""

    def __init__(self, backend):
        self.backend = backend
        self.given: list[float] = []
        self.lock = threading.Lock()

    def acquire(self, tenant, now, limits):
        result = self.backend.acquire(tenant, now, limits)
        if isinstance(result, Grant):
            with self.lock:
                self.given.append(result.at)
        return result

    def __getattr__(self, name):
        return getattr(self.backend, name)


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"!!! REDIS IS NOT RUNNING on 127.0.0.1:6379 ({exc}): the Redis Xero limiter was NOT "
                    "tested (scripts/test starts Redis) !!!")
    return client


@pytest.fixture(params=["database", "redis"])
def backend(request, app):
    """The database of this pass (SQLite, or PostgreSQL in the second pass), and Redis."""
    if request.param == "redis":
        return RedisBackend(_redis(), prefix=f"test-limits-{uuid.uuid4().hex}")
    from wisesync.extensions import db

    return DatabaseBackend(db.engine)


@pytest.fixture
def clock():
    return FakeClock()


def limiter(backend, clock, tenant="org-1", **kw) -> XeroLimiter:
    return XeroLimiter(tenant, backend, clock=clock, sleep=clock.sleep, **kw)


def most_in_any_window(times: list[float], window: float = 60.0) -> int:
    """Most calls in any window of ``window`` seconds (less a millisecond: the database keeps
    microseconds, and float sums of the fake clock differ from them by less than that)."""
    times = sorted(times)
    return max(sum(1 for t in times if start - window + 0.001 < t <= start) for start in times)


def test_sixty_calls_a_minute_then_the_limiter_waits_for_the_window(backend, clock):
    recording = Recording(backend)
    xero = limiter(recording, clock)
    for _ in range(150):
        with xero.slot():
            pass
    assert len(recording.given) == 150
    assert most_in_any_window(recording.given) == 60
    assert recording.given[59] == START and recording.given[60] == START + 60  # the 61st waited a minute
    assert clock.now - START == pytest.approx(120)  # 150 calls need two full waits, no more


def test_the_budget_is_per_organisation(backend, clock):
    nz, au = limiter(backend, clock, "org-nz"), limiter(backend, clock, "org-au")
    for _ in range(60):
        with nz.slot(), au.slot():
            pass
    assert clock.slept == []  # 60 each in the same minute: nobody waited


def test_two_limiters_share_one_budget_like_two_workers(backend, clock):
    recording = Recording(backend)
    first, second = limiter(recording, clock), limiter(recording, clock)
    for _ in range(45):
        with first.slot():
            pass
        with second.slot():
            pass
    assert most_in_any_window(recording.given) == 60 and len(recording.given) == 90


def test_threads_contending_never_exceed_five_at_once_nor_sixty_a_minute(backend, clock):
    recording = Recording(backend)
    in_flight, most, lock = [0], [0], threading.Lock()
    errors: list[BaseException] = []

    def work():
        # One limiter per worker thread, like separate processes. Slots outlive the test, so
        # only contention (never expiry) frees them however far the fake clock moves.
        xero = limiter(recording, clock, limits=Limits(slot_ttl=10**6))
        try:
            for _ in range(12):
                with xero.slot():
                    with lock:
                        in_flight[0] += 1
                        most[0] = max(most[0], in_flight[0])
                    time.sleep(0.002)  # holds the slot while others try (not timed: only overlap)
                    with lock:
                        in_flight[0] -= 1
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(recording.given) == 96
    assert 1 <= most[0] <= 5
    assert most_in_any_window(recording.given) <= 60


def test_a_killed_workers_slots_expire(backend, clock):
    limits = Limits(slot_ttl=30)
    for _ in range(5):  # taken and never released: the worker died mid-call
        assert isinstance(backend.acquire("org-1", clock(), limits), Grant)
    refusal = backend.acquire("org-1", clock(), limits)
    assert isinstance(refusal, Refusal) and refusal.why == "concurrent"
    xero = limiter(backend, clock, limits=limits)
    with xero.slot():
        pass
    assert clock.now - START >= 30  # waited for the dead slots' expiry


def test_a_released_slot_is_free_again_at_once(backend, clock):
    xero = limiter(backend, clock)
    for _ in range(20):
        with xero.slot():
            pass
    assert clock.slept == []


def test_a_slot_is_released_when_the_call_raises(backend, clock):
    xero = limiter(backend, clock, limits=Limits(concurrent=1))
    with pytest.raises(RuntimeError):
        with xero.slot():
            raise RuntimeError("the HTTP call failed")
    with xero.slot():
        pass
    assert clock.slept == []


def test_xero_saying_no_calls_remain_this_minute_pauses_every_worker(backend, clock):
    first, second = limiter(backend, clock), limiter(backend, clock)
    first.observe({"X-MinLimit-Remaining": "0", "X-DayLimit-Remaining": "4000"})
    with second.slot():
        pass
    assert clock.now - START == pytest.approx(60)
    first.observe({"X-MinLimit-Remaining": "12"})  # plenty left: no pause
    before = clock.now
    with second.slot():
        pass
    assert clock.now == before


def test_a_429_retry_after_pauses_every_worker_that_long(backend, clock):
    first, second = limiter(backend, clock), limiter(backend, clock)
    first.observe({"X-Rate-Limit-Problem": "minute", "Retry-After": "17"})
    with second.slot():
        pass
    assert clock.now - START == pytest.approx(17)


@pytest.mark.parametrize("headers, seconds", [
    ({"X-DayLimit-Remaining": "0", "X-MinLimit-Remaining": "59"}, 3600),
    ({"X-Rate-Limit-Problem": "day", "Retry-After": "5000"}, 5000),
])
def test_the_daily_cap_stops_calls_with_the_message_and_lifts_later(backend, clock, headers, seconds):
    first, second = limiter(backend, clock), limiter(backend, clock)
    assert not second.day_exhausted
    first.observe(headers)
    assert second.day_exhausted  # shared: another worker sees it
    with pytest.raises(XeroRateLimited) as caught:
        with second.slot():
            pytest.fail("no call may be made once the daily cap is spent")
    assert caught.value.problem == "day" and "daily limit" in caught.value.explanation
    assert "next run" in caught.value.fix
    assert second.day_error().problem == "day"
    clock.advance(seconds + 1)
    assert not second.day_exhausted
    with second.slot():
        pass


def test_waiting_longer_than_max_wait_gives_up_as_rate_limited(backend, clock):
    xero = limiter(backend, clock, limits=Limits(per_minute=1), max_wait=10)
    with xero.slot():
        pass
    with pytest.raises(XeroRateLimited) as caught:
        with xero.slot():
            pass
    assert caught.value.problem == "minute" and caught.value.retry_after == pytest.approx(60)


def test_headers_without_limits_change_nothing(backend, clock):
    xero = limiter(backend, clock)
    xero.observe({"Content-Type": "application/json"})
    xero.observe(None)
    assert not xero.day_exhausted


def test_the_app_uses_the_database_without_redis_and_redis_with_it(app):
    assert isinstance(limiter_for("org-1").backend, DatabaseBackend)
    assert limiter_for("org-2").backend is limiter_for("org-1").backend


@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}])
def test_with_redis_url_the_limiter_keeps_its_state_in_redis(app):
    _redis()
    xero = limiter_for(f"org-{uuid.uuid4().hex}")
    assert isinstance(xero.backend, RedisBackend)
    with xero.slot():
        pass


def test_the_limiter_fits_the_xero_clients_slot_and_observe_contract(clock):
    """The limiter fits XeroClient's contract: slot() around each attempt, observe() after it."""
    class Memory:
        def __init__(self):
            self.taken, self.notes = 0, []

        def acquire(self, tenant, now, limits):
            self.taken += 1
            return Grant(str(self.taken), now)

        def release(self, tenant, token, now):
            pass

        def note(self, tenant, now, **values):
            self.notes.append(values)

        def day_until(self, tenant, now):
            return 0.0

    memory = Memory()
    xero = XeroLimiter("org-1", memory, clock=clock, sleep=clock.sleep)
    with xero.slot():
        xero.observe({"X-MinLimit-Remaining": "42", "X-DayLimit-Remaining": "4321"})
    assert memory.taken == 1 and memory.notes == [{"min_remaining": 42, "day_remaining": 4321,
                                                    "wait_until": None, "day_until": None}]
    assert Refusal(1.0, "minute").why == "minute"
