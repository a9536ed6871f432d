"""``flask jobs-worker``: the Huey consumer that runs pulls, in the app's own config.

``scripts/serve`` starts it next to gunicorn. On start it fails the runs a killed worker
left behind, so nobody watches a progress bar that will never move.
"""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from wisesync.jobs.queue import jobs
from wisesync.jobs.services import STALE_AFTER, mark_abandoned_runs

log = logging.getLogger(__name__)


def prepare_worker(app) -> int:
    """Fail abandoned runs; with Redis only those silent for a while (other workers may be busy)."""
    with app.app_context():
        shared = app.config["WISESYNC_JOBS"] == "redis"
        count = mark_abandoned_runs(STALE_AFTER if shared else None)
    if count:
        log.warning("Marked %d pull(s) left by a stopped worker as failed.", count)
    return count


def make_consumer(app, workers: int = 2):
    """A Huey consumer (thread workers) for the app's queue. ``.run()`` blocks and handles
    signals; ``.start()``/``.stop()`` run it in the background (tests)."""
    return jobs(app).huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                          initial_delay=0.05, max_delay=1.0)


@click.command("jobs-worker")
@click.option("--workers", default=2, show_default=True, help="Pulls that can run at once.")
@with_appcontext
def jobs_worker_command(workers: int) -> None:
    """Run background pulls (the embedded SQLite queue, or Redis when REDIS_URL is set)."""
    app = current_app._get_current_object()
    if app.config["WISESYNC_JOBS"] == "immediate":
        raise click.ClickException("WISESYNC_JOBS=immediate runs jobs in-process; no worker is needed.")
    prepare_worker(app)
    click.echo(f"Wise-Sync job worker ({app.config['WISESYNC_JOBS']} queue, {workers} worker threads)")
    make_consumer(app, workers).run()


def register_cli(app) -> None:
    app.cli.add_command(jobs_worker_command)
