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
