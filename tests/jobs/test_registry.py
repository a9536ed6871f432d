"""The generic queue: features register tasks, periodic tasks and worker-start hooks; the
queue itself imports no feature."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from wisesync import jobs
from wisesync.jobs import registry
from wisesync.jobs.queue import jobs as queue_for, once_per_slot, scheduled_slot
from wisesync.jobs.worker import prepare_worker

CALLS: list = []


@pytest.fixture
def throwaway():
    """Registers test tasks and hooks; forgets them afterwards."""
    names: list[str] = []
    hooks_before = list(registry._start_hooks)

    def add(name, fn=None, schedule=None):
        names.append(name)
        if schedule:
            return jobs.register_periodic(name, schedule, fn)
        return jobs.register_task(name, fn)

    CALLS.clear()
    yield add
    for name in names:
        registry.unregister(name)
    registry._start_hooks[:] = hooks_before


def record_call(*args, **kwargs):
    from flask import current_app

    CALLS.append((current_app.name, args, kwargs))


def test_jobs_imports_no_feature():
    code = ("import sys, wisesync.jobs, wisesync.jobs.queue, wisesync.jobs.worker, wisesync.jobs.registry;"
            "features = ('psadata', 'integrations', 'transactions', 'companies', 'users', 'credentials',"
            " 'qlink', 'security', 'auth', 'psa', 'accounting', 'audit', 'models');"
            "print([m for m in sys.modules if m.split('.')[:2] in [['wisesync', f] for f in features]])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_a_registered_task_runs_in_an_app_context_when_enqueued(app, throwaway):
    throwaway("tests.record", record_call)
    jobs.enqueue("tests.record", 7, kind="x")
    assert CALLS == [("wisesync", (7,), {"kind": "x"})]


def test_a_task_registered_after_the_queue_was_built_still_runs(app, throwaway):
    queue_for(app)  # built now
    throwaway("tests.late", record_call)
    jobs.enqueue("tests.late", 1)
    assert CALLS and CALLS[0][1] == (1,)


def test_an_unknown_task_name_says_so(app):
    with pytest.raises(KeyError, match="no job task named 'tests.nothing'"):
        jobs.enqueue("tests.nothing")


def test_two_features_cannot_take_one_name(throwaway):
    throwaway("tests.taken", record_call)
    with pytest.raises(ValueError, match="already registered"):
        jobs.register_task("tests.taken", lambda: None)
    with pytest.raises(ValueError, match="already registered"):
        jobs.register_periodic("tests.taken", "* * * * *", lambda: None)
    jobs.register_task("tests.taken", record_call)  # the same function again (a re-import) is fine


def test_the_decorators_register_too(app, throwaway):
    @jobs.task("tests.decorated")
    def decorated(n):
        CALLS.append(n)

    throwaway("tests.decorated", decorated)
    jobs.enqueue("tests.decorated", 3)
    assert CALLS == [3]


def test_a_crontab_needs_five_fields():
    with pytest.raises(ValueError, match="five fields"):
        jobs.register_periodic("tests.bad", "0 * *", lambda: None)


def test_worker_start_runs_every_hook_and_adds_their_counts(app, throwaway):
    seen = []

    def first(older_than):
        seen.append(("first", older_than))
        return 2

    def broken(older_than):
        raise RuntimeError("a feature's bug")

    def last(older_than):
        seen.append(("last", older_than))
        return 1

    for hook in (first, broken, last):
        jobs.on_worker_start(hook)
    jobs.on_worker_start(first)  # registered once only
    assert prepare_worker(app) >= 3
    assert ("first", None) in seen and ("last", None) in seen and len(seen) == 2


@pytest.mark.parametrize("app_config", [{"WISESYNC_JOBS": "redis", "REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_with_a_shared_queue_hooks_are_told_how_stale_a_run_must_be(app, throwaway):
    seen = []
    jobs.on_worker_start(lambda older_than: seen.append(older_than) or 0)
    prepare_worker(app)
    assert seen == [timedelta(minutes=15)]


# --- periodic tasks --------------------------------------------------------------------------

def test_scheduled_slot_is_the_latest_matching_minute():
    from huey import crontab

    every_5 = crontab(minute="*/5")
    assert scheduled_slot(every_5, datetime(2026, 12, 2, 10, 13, 59)) == datetime(2026, 12, 2, 10, 10)
    daily = crontab(minute="0", hour="3")
    assert scheduled_slot(daily, datetime(2026, 12, 2, 2, 0)) == datetime(2026, 12, 1, 3, 0)


def test_a_periodic_task_runs_once_per_scheduled_minute_however_many_copies(app, throwaway):
    from huey import crontab

    ran = []
    throwaway("tests.every5", lambda: ran.append(1), schedule="*/5 * * * *")
    now = [datetime(2026, 12, 2, 10, 10, 1)]
    periodic = registry.periodic_tasks()["tests.every5"]
    run = once_per_slot(queue_for(app), periodic, crontab(minute="*/5"), clock=lambda: now[0])
    run()
    now[0] = datetime(2026, 12, 2, 10, 11, 30)  # a second consumer's copy, executed late
    run()
    assert ran == [1]
    now[0] = datetime(2026, 12, 2, 10, 15, 0)
    run()
    run()
    assert ran == [1, 1]
    huey = queue_for(app).huey
    assert huey.get("periodic:tests.every5:202612021010", peek=True) is None  # old claims dropped


def test_a_periodic_task_is_known_to_the_huey_scheduler(app, throwaway):
    throwaway("tests.hourly", lambda: None, schedule="0 * * * *")
    huey = queue_for(app).huey
    due = [t.name for t in huey.read_periodic(datetime(2026, 12, 2, 11, 0))]
    assert "tests.hourly" in due
    assert "tests.hourly" not in [t.name for t in huey.read_periodic(datetime(2026, 12, 2, 11, 1))]
