"""The audit trail. Callers pass the IP; services never read ``request``."""
from __future__ import annotations

from wisesync.audit.models import AuditEvent
from wisesync.extensions import db


def record(action: str, *, account_id: int | None, actor=None, target=None, detail: str = "",
           ip: str = "") -> AuditEvent:
    """Add an event to the current transaction (the caller's commit saves it with the change)."""
    event = AuditEvent(
        action=action,
        account_id=account_id,
        actor_id=getattr(actor, "id", None),
        target_user_id=getattr(target, "id", None),
        detail=detail[:2000],
        ip=(ip or "")[:64],
    )
    db.session.add(event)
    return event
