"""The Huey queue, built from config on first use (never at import, never in the factory).

- ``WISESYNC_JOBS=embedded`` (default): ``SqliteHuey`` in the instance folder — no extra
  server; ``flask jobs-worker`` (started by ``scripts/serve``) runs the tasks.
- ``redis`` (set automatically when ``REDIS_URL`` is given): ``RedisHuey``, so several
  worker processes on several machines share the work.
- ``immediate`` (tests): tasks run synchronously in memory when enqueued.

Tasks run inside an app context of the app that built the queue, so they can use the
database exactly as a request does.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

log = logging.getLogger(__name__)
QUEUE_NAME = "wisesync"


@dataclass
class Jobs:
    huey: Huey
    pull: object  # the huey TaskWrapper: ``pull(run_id)`` enqueues


def make_huey(app: Flask) -> Huey:
    mode = app.config["WISESYNC_JOBS"]
    if mode == "immediate":
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    if mode == "redis":
        if not app.config.get("REDIS_URL"):
            raise RuntimeError("WISESYNC_JOBS=redis needs REDIS_URL (for example redis://127.0.0.1:6379/0).")
        return RedisHuey(QUEUE_NAME, url=app.config["REDIS_URL"], results=False)
    if mode == "embedded":
        filename = Path(app.instance_path) / "jobs.sqlite3"
        filename.parent.mkdir(parents=True, exist_ok=True)  # first use only, never at import
        return SqliteHuey(QUEUE_NAME, filename=str(filename), results=False)
    raise RuntimeError(f"WISESYNC_JOBS={mode!r}: use embedded, redis or immediate.")


def build_jobs(app: Flask) -> Jobs:
    huey = make_huey(app)

    # No huey retries: a failed pull is recorded as failed; the admin starts another one.
    @huey.task(name="wisesync.pull")
    def pull(run_id: int) -> None:
        from wisesync.jobs.runner import execute_run

        with app.app_context():
            execute_run(run_id)

    return Jobs(huey=huey, pull=pull)


def jobs(app: Flask | None = None) -> Jobs:
    """The app's queue and tasks, built on first use and then reused."""
    app = app or current_app._get_current_object()
    found = app.extensions.get("wisesync_jobs")
    if found is None:
        found = app.extensions["wisesync_jobs"] = build_jobs(app)
    return found


def enqueue_pull(run_id: int) -> None:
    """Hand the run to the worker (in ``immediate`` mode: run it now, synchronously)."""
    jobs().pull(run_id)
