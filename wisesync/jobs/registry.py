"""What features hand the queue: named tasks, periodic tasks and worker-start hooks.

The queue knows nothing about pulls or syncs; each feature registers its own work here when
its module is imported (the factory imports every feature before anything is enqueued):

    from wisesync import jobs

    @jobs.task("wisesync.pull")
    def pull(run_id: int) -> None: ...              # jobs.enqueue("wisesync.pull", run.id)

    @jobs.periodic("wisesync.sync-schedules", "*/5 * * * *")
    def start_due_syncs() -> None: ...              # run by the worker's scheduler

    @jobs.on_worker_start
    def fail_abandoned(older_than: timedelta | None) -> int: ...

Every task runs inside an app context. A periodic task may run more than once for one
scheduled minute (several workers with the scheduler on, a restart within the minute): the
queue skips the repeats it can see (a claim per task and minute in the queue's own storage),
but what the task starts must still be idempotent — e.g. a run insert that a unique index
refuses the second time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

TaskFn = Callable[..., object]
StartHook = Callable[[timedelta | None], int]


@dataclass(frozen=True)
class Periodic:
    name: str
    schedule: str  # crontab: "minute hour day month day-of-week"
    fn: Callable[[], object]


_tasks: dict[str, TaskFn] = {}
_periodic: dict[str, Periodic] = {}
_start_hooks: list[StartHook] = []


def _check_schedule(schedule: str) -> str:
    parts = schedule.split()
    if len(parts) != 5:
        raise ValueError(f"crontab {schedule!r}: give five fields, minute hour day month day-of-week")
    return " ".join(parts)


def register_task(name: str, fn: TaskFn) -> TaskFn:
    """Register ``fn`` as the task ``name``; re-registering the same function is a no-op, another
    function under a taken name is a ValueError (two features must not share a name)."""
    if name in _periodic or (name in _tasks and _qualname(_tasks[name]) != _qualname(fn)):
        raise ValueError(f"job task {name!r} is already registered")
    _tasks[name] = fn
    return fn


def register_periodic(name: str, schedule: str, fn: Callable[[], object]) -> Callable[[], object]:
    """Run ``fn()`` at every minute matching the crontab ``schedule`` (in UTC) on workers that
    run the scheduler. See the module docstring on repeats."""
    if name in _tasks or (name in _periodic and _qualname(_periodic[name].fn) != _qualname(fn)):
        raise ValueError(f"job task {name!r} is already registered")
    _periodic[name] = Periodic(name, _check_schedule(schedule), fn)
    return fn


def on_worker_start(hook: StartHook) -> StartHook:
    """Call ``hook(older_than)`` when a worker starts, before it takes work: the feature fails
    the runs a killed worker left behind and returns how many. ``older_than`` is None when this
    worker is the only one (the embedded queue: every queued/running run is abandoned), else
    how long a run must have been silent to count as abandoned (other workers may be busy)."""
    if all(_qualname(h) != _qualname(hook) for h in _start_hooks):
        _start_hooks.append(hook)
    return hook


def task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Decorator form of :func:`register_task`."""
    return lambda fn: register_task(name, fn)


def periodic(name: str, schedule: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Decorator form of :func:`register_periodic`."""
    return lambda fn: register_periodic(name, schedule, fn)


def _qualname(fn) -> str:
    # A module imported twice (tests reloading it) registers an equal function again.
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def tasks() -> dict[str, TaskFn]:
    return dict(_tasks)


def periodic_tasks() -> dict[str, Periodic]:
    return dict(_periodic)


def start_hooks() -> list[StartHook]:
    return list(_start_hooks)


def unregister(name: str) -> None:
    """Forget a task (tests registering throw-away tasks)."""
    _tasks.pop(name, None)
    _periodic.pop(name, None)
