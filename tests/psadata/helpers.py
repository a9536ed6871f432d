from __future__ import annotations

import pytest

from wisesync.psa.http import OutboundPolicy


def no_sleep_policy(monkeypatch) -> None:
    """PSA retries without the real backoff waits (the retry count stays the same)."""
    from wisesync.integrations import clients

    monkeypatch.setattr(clients, "outbound_policy",
                        lambda: OutboundPolicy(allow_local=True, sleep=lambda seconds: None))


@pytest.fixture
def sim_records(psa_sim):
    """The simulator's board of changed/deleted records, emptied before and after the test
    (import this fixture into a test module to use it)."""
    from wisesync.simulator import psa_changes

    changes = psa_changes.for_state(psa_sim.state)
    changes.reset()
    yield changes
    changes.reset()


def start_pull(client, **form) -> dict:
    """POST /integrations/sync (``full="1"`` for a full pull) and the run's progress JSON (the
    tests' queue is immediate, so the pull has run)."""
    response = client.post("/integrations/sync", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"], headers={"Accept": "application/json"}).get_json()


def local(model, psa_id, **where):
    """The local copy of a PSA record, read afresh."""
    from sqlalchemy import select

    from wisesync.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(model).filter_by(psa_id=psa_id, **where))
