"""The Huey queue, built from config on first use (never at import, never in the factory).

- ``WISESYNC_JOBS=embedded`` (default): ``SqliteHuey`` in the instance folder — no extra
  server; ``flask jobs-worker`` (started by ``scripts/serve``) runs the tasks.
- ``redis`` (set automatically when ``REDIS_URL`` is given): ``RedisHuey``, so several
  worker processes on several machines share the work.
- ``immediate`` (tests): tasks run synchronously in memory when enqueued.

Tasks are whatever features registered (:mod:`wisesync.jobs.registry`); each runs inside an
app context of the app that built the queue, so it uses the database exactly as a request
does. No Huey retries: a failed task records its own failure for people to read.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from wisesync.jobs import registry

log = logging.getLogger(__name__)
QUEUE_NAME = "wisesync"
# How far back a periodic task looks for the scheduled minute it belongs to.
PERIODIC_LOOKBACK = timedelta(days=8)


@dataclass
class Jobs:
    app: Flask
    huey: Huey
    tasks: dict = field(default_factory=dict)  # name → huey TaskWrapper (calling it enqueues)

    def wrapper(self, name: str):
        """The Huey task for ``name``, wrapped on first use (a task registered after the queue
        was built still works)."""
        found = self.tasks.get(name)
        if found is None:
            found = self.tasks[name] = _wrap(self, name)
        return found


def make_huey(app: Flask) -> Huey:
    from wisesync.jobs.serializer import JsonSerializer

    mode = app.config["WISESYNC_JOBS"]
    if mode == "immediate":
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False, serializer=JsonSerializer())
    if mode == "redis":
        if not app.config.get("REDIS_URL"):
            raise RuntimeError("WISESYNC_JOBS=redis needs REDIS_URL (for example redis://127.0.0.1:6379/0).")
        # JSON, not pickle: a process that can write to Redis must not run code in the worker.
        return RedisHuey(QUEUE_NAME, url=app.config["REDIS_URL"], results=False, serializer=JsonSerializer())
    if mode == "embedded":
        filename = Path(app.instance_path) / "jobs.sqlite3"
        filename.parent.mkdir(parents=True, exist_ok=True)  # first use only, never at import
        return SqliteHuey(QUEUE_NAME, filename=str(filename), results=False, serializer=JsonSerializer())
    raise RuntimeError(f"WISESYNC_JOBS={mode!r}: use embedded, redis or immediate.")


def _in_app(app: Flask, fn):
    def run(*args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)

    run.__name__ = getattr(fn, "__name__", "task")
    return run


def _wrap(jobs_: Jobs, name: str):
    tasks = registry.tasks()
    if name in tasks:
        return jobs_.huey.task(name=name)(_in_app(jobs_.app, tasks[name]))
    periodic = registry.periodic_tasks().get(name)
    if periodic is None:
        raise KeyError(f"no job task named {name!r} is registered (is its feature imported?)")
    minute, hour, day, month, day_of_week = periodic.schedule.split()
    schedule = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, strict=True)
    return jobs_.huey.periodic_task(schedule, name=name)(once_per_slot(jobs_, periodic, schedule))


def scheduled_slot(schedule, now: datetime) -> datetime | None:
    """The latest minute at or before ``now`` (naive UTC) that ``schedule`` matches."""
    minute = now.replace(second=0, microsecond=0)
    oldest = minute - PERIODIC_LOOKBACK
    while minute >= oldest:
        if schedule(minute):
            return minute
        minute -= timedelta(minutes=1)
    return None


def once_per_slot(jobs_: Jobs, periodic: registry.Periodic, schedule, clock=None):
    """``periodic.fn`` in an app context, skipped when the scheduled minute it belongs to was
    already claimed (by another consumer's copy, or before a restart). The claim is an atomic
    put-if-empty in the queue's own storage (Redis HSETNX / SQLite insert), and the previous
    minute's claim is dropped, so claims do not pile up."""
    clock = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None))
    huey, app = jobs_.huey, jobs_.app

    def run():
        slot = scheduled_slot(schedule, clock())
        if slot is not None:
            key = f"periodic:{periodic.name}:{slot:%Y%m%d%H%M}"
            if not huey.put_if_empty(key, "1"):
                log.info("Periodic task %s for %s already ran; skipped.", periodic.name, slot)
                return None
            last = f"periodic:{periodic.name}:last"
            previous = huey.get(last)
            huey.put(last, key)
            if previous and previous != key:
                huey.delete(previous)
        with app.app_context():
            return periodic.fn()

    run.__name__ = getattr(periodic.fn, "__name__", "periodic")
    return run


def build_jobs(app: Flask) -> Jobs:
    jobs_ = Jobs(app=app, huey=make_huey(app))
    for name in (*registry.tasks(), *registry.periodic_tasks()):
        jobs_.wrapper(name)
    return jobs_


def jobs(app: Flask | None = None) -> Jobs:
    """The app's queue and tasks, built on first use and then reused."""
    app = app or current_app._get_current_object()
    found = app.extensions.get("wisesync_jobs")
    if found is None:
        found = app.extensions["wisesync_jobs"] = build_jobs(app)
    return found


def enqueue(name: str, *args, **kwargs) -> None:
    """Hand the task ``name`` to the worker (in ``immediate`` mode: run it now, synchronously).
    Arguments must be plain JSON values (ids, not model objects): the queue is JSON, not pickle."""
    jobs().wrapper(name)(*args, **kwargs)
