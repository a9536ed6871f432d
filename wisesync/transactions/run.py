"""The sync run: the background job that takes one company's selected (or all) unposted records
from ConnectWise into Xero and posts them back in ConnectWise (DESIGN §10.3–10.5).

Placeholder while the pieces it calls land; see :func:`execute`.
"""
from __future__ import annotations

import logging

from wisesync import jobs

log = logging.getLogger(__name__)
TASK = "wisesync.transactions.sync"


def register_tasks(app) -> None:
    """Tasks, the schedule check and the worker-start hook (the registry is process-wide;
    registering again is a no-op)."""
    from wisesync.transactions import schedules, services

    jobs.register_task(TASK, execute)
    jobs.on_worker_start(services.mark_abandoned_runs)
    schedules.register()


def enqueue_sync(run_id: int) -> None:
    jobs.enqueue(TASK, run_id)


def execute(run_id: int):
    raise NotImplementedError
