from __future__ import annotations

import signal
import time
from contextlib import contextmanager


@contextmanager
def running_consumer(app, workers: int = 1, periodic: bool = False):
    """A real Huey consumer in background threads; the signal handlers it installs are undone."""
    from wisesync.jobs.worker import make_consumer, prepare_worker

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    prepare_worker(app)
    consumer = make_consumer(app, workers, periodic=periodic)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def wait_for_json(client, url: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        data = client.get(url, headers={"Accept": "application/json"}).get_json()
        if data["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return data
        time.sleep(0.1)
