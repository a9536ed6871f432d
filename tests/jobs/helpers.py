from __future__ import annotations

import signal
import time
from contextlib import contextmanager

from wisesync.psa.http import OutboundPolicy


def no_sleep_policy(monkeypatch) -> None:
    """PSA retries without the real backoff waits (the retry count stays the same)."""
    from wisesync.integrations import clients

    monkeypatch.setattr(clients, "outbound_policy",
                        lambda: OutboundPolicy(allow_local=True, sleep=lambda seconds: None))


@contextmanager
def running_consumer(app, workers: int = 1):
    """A real Huey consumer in background threads; the signal handlers it installs are undone."""
    from wisesync.jobs.worker import make_consumer, prepare_worker

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    prepare_worker(app)
    consumer = make_consumer(app, workers)
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
