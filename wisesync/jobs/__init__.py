"""The generic background queue (Huey). Features register their tasks with it; it imports no
feature, so it never knows what a pull or a sync is.

    from wisesync import jobs
    jobs.register_task(name, fn) / @jobs.task(name)       a task, started by jobs.enqueue(name, *args)
    jobs.register_periodic(name, crontab, fn) / @jobs.periodic(name, crontab)
    jobs.on_worker_start(hook)                             hook(older_than) -> runs failed
"""
from wisesync.jobs.registry import (on_worker_start, periodic, register_periodic, register_task,  # noqa: F401
                                    task)


def enqueue(name: str, *args, **kwargs) -> None:
    """See :func:`wisesync.jobs.queue.enqueue` (imported late: Huey is loaded on first use)."""
    from wisesync.jobs.queue import enqueue as _enqueue

    _enqueue(name, *args, **kwargs)
