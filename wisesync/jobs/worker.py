"""``flask jobs-worker``: the Huey consumer that runs every registered task, in the app's config.

``scripts/serve`` starts it next to gunicorn. On start it calls each feature's worker-start
hook (they fail the runs a killed worker left behind, so nobody watches a progress bar that
will never move). It also runs the periodic scheduler unless ``--no-periodic`` (with several
Redis workers, leaving it on in more than one is safe — see :mod:`wisesync.jobs.registry`).
"""
from __future__ import annotations

import logging
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from wisesync.jobs import registry
from wisesync.jobs.queue import jobs

log = logging.getLogger(__name__)
# With a shared (Redis) queue other workers may be busy: only a run silent this long is
# abandoned. Features use it too when someone starts a run while a stale one blocks it.
STALE_AFTER = timedelta(minutes=15)


def prepare_worker(app) -> int:
    """Run the worker-start hooks; returns how many abandoned runs they failed in all. A hook
    that raises is logged and the others still run."""
    shared = app.config["WISESYNC_JOBS"] == "redis"
    total = 0
    for hook in registry.start_hooks():
        with app.app_context():
            try:
                total += int(hook(STALE_AFTER if shared else None) or 0)
            except Exception:  # one feature's bug must not keep the worker from starting
                log.exception("Worker-start hook %s failed", getattr(hook, "__qualname__", hook))
    if total:
        log.warning("Marked %d run(s) left by a stopped worker as failed.", total)
    return total


def make_consumer(app, workers: int = 2, periodic: bool = True):
    """A Huey consumer (thread workers) for the app's queue. ``.run()`` blocks and handles
    signals; ``.start()``/``.stop()`` run it in the background (tests)."""
    return jobs(app).huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                          initial_delay=0.05, max_delay=1.0)


@click.command("jobs-worker")
@click.option("--workers", default=2, show_default=True, help="Tasks that can run at once.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the scheduler that starts periodic tasks (scheduled syncs).")
@with_appcontext
def jobs_worker_command(workers: int, periodic: bool) -> None:
    """Run background tasks (the embedded SQLite queue, or Redis when REDIS_URL is set)."""
    app = current_app._get_current_object()
    if app.config["WISESYNC_JOBS"] == "immediate":
        raise click.ClickException("WISESYNC_JOBS=immediate runs jobs in-process; no worker is needed.")
    prepare_worker(app)
    click.echo(f"Wise-Sync job worker ({app.config['WISESYNC_JOBS']} queue, {workers} worker threads, "
               f"scheduler {'on' if periodic else 'off'})")
    make_consumer(app, workers, periodic).run()


def register_cli(app) -> None:
    app.cli.add_command(jobs_worker_command)
