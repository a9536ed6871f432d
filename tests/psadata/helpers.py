from __future__ import annotations

from wisesync.psa.http import OutboundPolicy


def no_sleep_policy(monkeypatch) -> None:
    """PSA retries without the real backoff waits (the retry count stays the same)."""
    from wisesync.integrations import clients

    monkeypatch.setattr(clients, "outbound_policy",
                        lambda: OutboundPolicy(allow_local=True, sleep=lambda seconds: None))
