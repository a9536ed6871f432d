"""Xero's API rate limits (https://developer.xero.com/faq/limits): per organisation 5 calls in
progress, 60 calls a minute and 5,000 a day; 10,000 calls a minute for the app across all
organisations. Every answer carries ``X-DayLimit-Remaining``, ``X-MinLimit-Remaining`` and
``X-AppMinLimit-Remaining``; a refused call is HTTP 429 with ``X-Rate-Limit-Problem``
(``concurrent``/``day``/``minute``/``appminute``) and ``Retry-After`` seconds.

``Retry-After`` is read by Xero's own SDKs (Xero-NetStandard PR #408 "RetryAfter"), tap-xero.
UNVERIFIED (no public source found): whether the windows roll or reset on the clock (rolling
here), whether refused calls count (they do not here), Retry-After on a concurrency refusal (1 s).
The clock is the Xero state's, so tests can move a minute or a day forward instead of waiting.
"""
from __future__ import annotations

import math
import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Callable

MINUTE, DAY = 60.0, 86_400.0


@dataclass
class Limits:
    """One organisation's limits; tests lower them (``POST /_sim/xero/<tenant>/settings``)."""
    minute: int = 60
    day: int = 5000
    concurrent: int = 5


@dataclass
class Verdict:
    problem: str | None          # None: the call may go ahead (and holds a concurrency slot)
    retry_after: int
    headers: dict[str, str]


class RateLimiter:
    def __init__(self, clock: Callable[[], float], app_minute: int = 10_000):
        self._clock = clock
        self._lock = threading.Lock()
        self.app_minute = app_minute
        self._calls: dict[str, deque[float]] = {}
        self._app: deque[float] = deque()
        self._in_flight: Counter = Counter()

    def enter(self, tenant: str, limits: Limits) -> Verdict:
        """Count a call against ``tenant``, or refuse it. A granted call must ``leave`` later."""
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault(tenant, deque())
            _prune(calls, now - DAY)
            _prune(self._app, now - MINUTE)
            minute = _since(calls, now - MINUTE)
            refusal = None
            if self._in_flight[tenant] >= limits.concurrent:
                refusal = ("concurrent", 1)
            elif len(calls) >= limits.day:
                refusal = ("day", _wait(calls[0] + DAY - now))
            elif minute >= limits.minute:
                refusal = ("minute", _wait(calls[len(calls) - minute] + MINUTE - now))
            elif len(self._app) >= self.app_minute:
                refusal = ("appminute", _wait(self._app[0] + MINUTE - now))
            if refusal is None:
                calls.append(now)
                self._app.append(now)
                self._in_flight[tenant] += 1
                minute += 1
            headers = {"X-DayLimit-Remaining": str(max(0, limits.day - len(calls))),
                       "X-MinLimit-Remaining": str(max(0, limits.minute - minute)),
                       "X-AppMinLimit-Remaining": str(max(0, self.app_minute - len(self._app)))}
        if refusal is None:
            return Verdict(None, 0, headers)
        return Verdict(refusal[0], refusal[1], headers)

    def leave(self, tenant: str) -> None:
        with self._lock:
            self._in_flight[tenant] = max(0, self._in_flight[tenant] - 1)


def _prune(calls: deque[float], before: float) -> None:
    while calls and calls[0] <= before:
        calls.popleft()


def _since(calls: deque[float], after: float) -> int:
    count = 0
    for stamp in reversed(calls):
        if stamp <= after:
            break
        count += 1
    return count


def _wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))
