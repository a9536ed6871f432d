"""Autotask's two request limits, as the simulator enforces them on every call but the zone lookup.

- **Threads**: at most 3 requests running at once per endpoint (the object, e.g. ``Companies``;
  ``ThresholdInformation`` counts as its own endpoint, only ``ZoneInformation`` is exempt —
  Autotask's ThreadLimiting page as quoted in msoukhomlinov/n8n-nodes-autotask PR #107). A
  fourth is refused at once with the words that PR quotes from production, "The Autotask API
  thread threshold of 3 threads has been exceeded.", in ``errors[]`` with HTTP 429 (the status
  other integrators log with those words: "Autotask API error: 429 - thread threshold of 3
  threads has been exceeded"; the n8n node notes it may come with another status too).
- **Hour**: 10,000 requests per database in a rolling 60 minutes (mspintegrations' and Cloud
  Depot's Autotask pages: "10,000 API requests over a rolling 60 minute period"); past it every
  request is refused until the hour's usage drops. The wording and status of that refusal have
  no public source (UNVERIFIED): the simulator answers 429 with a threshold sentence in
  ``errors[]`` and no ``Retry-After``. Autotask's added latency from 50 % of the hour (Cloud
  Depot) is not simulated.

Refused requests are not counted (UNVERIFIED either way). The checks run before the
credentials are (UNVERIFIED order). ``requests`` is settable so tests can play "other
integrations used the hour"; ``reset()`` (``POST /_sim/reset``) forgets the hour.
"""
from __future__ import annotations

import threading
import time
from collections import Counter

THRESHOLD = 10_000  # requests per rolling hour per database
MAX_THREADS = 3  # concurrent requests per endpoint
WINDOW_MINUTES = 60
THREADS_EXCEEDED = "The Autotask API thread threshold of 3 threads has been exceeded."
HOURLY_EXCEEDED = ("API request threshold exceeded: the 10000 requests per hour limit for this database has "
                   "been reached.")  # wording UNVERIFIED (see the module docstring)
EXEMPT = {"zoneinformation"}


class AtSimStats:
    """What the Autotask half saw: requests in the rolling hour, requests in flight per endpoint
    and the most that were; :meth:`enter` refuses what Autotask would."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._lock = threading.Lock()
        self._minutes: Counter = Counter()  # minute number → requests accepted in it
        self.in_flight: Counter = Counter()
        self.max_in_flight: Counter = Counter()
        self.refused: Counter = Counter()  # "threads" / "hourly" → how many were refused

    def _minute(self) -> int:
        return int(self.clock() // 60)

    def _used(self) -> int:
        oldest = self._minute() - WINDOW_MINUTES + 1
        for minute in [m for m in self._minutes if m < oldest]:
            del self._minutes[minute]
        return sum(self._minutes.values())

    @property
    def requests(self) -> int:
        """Requests accepted in the last 60 minutes (ThresholdInformation's count)."""
        with self._lock:
            return self._used()

    @requests.setter
    def requests(self, value: int) -> None:
        """Tests: the hour's usage is ``value``, all of it spent just now."""
        with self._lock:
            self._minutes.clear()
            if value:
                self._minutes[self._minute()] = int(value)

    def enter(self, endpoint: str) -> str | None:
        """Count a request to ``endpoint`` in; returns the ``errors[]`` text when Autotask
        would refuse it (then it is not in flight: do not call :meth:`leave`)."""
        exempt = endpoint.lower() in EXEMPT
        with self._lock:
            if not exempt and self.in_flight[endpoint] >= MAX_THREADS:
                self.refused["threads"] += 1
                return THREADS_EXCEEDED
            if not exempt and self._used() >= THRESHOLD:
                self.refused["hourly"] += 1
                return HOURLY_EXCEEDED
            if not exempt:
                self._minutes[self._minute()] += 1
            self.in_flight[endpoint] += 1
            self.max_in_flight[endpoint] = max(self.max_in_flight[endpoint], self.in_flight[endpoint])
        return None

    def leave(self, endpoint: str) -> None:
        with self._lock:
            self.in_flight[endpoint] -= 1

    def reset_max(self) -> None:
        with self._lock:
            self.max_in_flight.clear()

    def reset(self) -> None:
        """``POST /_sim/reset``: a new hour, nothing refused so far (requests in flight stay)."""
        with self._lock:
            self._minutes.clear()
            self.max_in_flight.clear()
            self.refused.clear()
