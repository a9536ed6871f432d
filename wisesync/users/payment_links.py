"""Wise-Pay links (proxy, PayNow link, email link): list, create and deactivate, so admins can
set them up — and see the disable warning name them — without editing the database.

A link belongs to one enabled user of the account; disabling that user deactivates it
(:func:`wisesync.users.services.disable_user`). A deactivated link never comes back.
"""
from __future__ import annotations

from sqlalchemy import select

from wisesync.audit.services import record
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.service_errors import FieldError
from wisesync.users.models import PAYMENT_LINK_KINDS, PaymentLink, User

PER_PAGE = 50


def owner_choices(account_id: int) -> list[tuple[int, str]]:
    """``(id, "First Last (username)")`` of the account's enabled users: columns, not objects."""
    rows = db.session.execute(select(User.id, User.first_name, User.last_name, User.username).where(
        User.account_id == account_id, User.enabled.is_(True)).order_by(User.last_name, User.first_name, User.id))
    return [(row.id, f"{row.first_name} {row.last_name} ({row.username})") for row in rows]


def links_page(account_id: int, page: int = 1):
    """Active links first, then by owner, kind and name."""
    query = (select(PaymentLink).join(User, User.id == PaymentLink.user_id)
             .where(PaymentLink.account_id == account_id)
             .order_by(PaymentLink.active.desc(), User.last_name, User.first_name, PaymentLink.kind,
                       PaymentLink.name, PaymentLink.id))
    return db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)


def create_link(account_id: int, *, kind: str, name: str, owner_id: int, actor, ip: str = "") -> PaymentLink:
    """A new active link; :class:`FieldError` when the owner is not an enabled user of the
    account or already has an active link of that kind and name."""
    if kind not in PAYMENT_LINK_KINDS:
        raise FieldError("kind", "Choose a Wise-Pay proxy, a PayNow link or an email link.")
    owner = db.session.scalar(select(User).where(User.id == owner_id, User.account_id == account_id))
    if owner is None:
        raise FieldError("owner", "Choose one of this account's users.")
    if not owner.enabled:
        raise FieldError("owner", f"{owner.full_name} is disabled, and a disabled user's Wise-Pay links do not "
                                  "work: enable them first, or choose someone else.")
    name = name.strip()
    taken = db.session.scalar(select(PaymentLink.id).where(
        PaymentLink.user_id == owner.id, PaymentLink.kind == kind, PaymentLink.name == name,
        PaymentLink.active.is_(True)))
    if taken is not None:
        raise FieldError("name", f"{owner.full_name} already has an active {PAYMENT_LINK_KINDS[kind]} called "
                                 f"{name!r}. Use another name, or deactivate that one first.")
    link = PaymentLink(account_id=account_id, user_id=owner.id, kind=kind, name=name)
    db.session.add(link)
    record("payment_link.created", account_id=account_id, actor=actor, target=owner, ip=ip,
           detail=f"{PAYMENT_LINK_KINDS[kind]} {name!r} created for {owner.full_name}")
    db.session.commit()
    return link


def deactivate_link(link: PaymentLink, *, actor, ip: str = "") -> bool:
    """Stop the link; False when it was already inactive (nothing changes then)."""
    if not link.active:
        return False
    link.active = False
    link.deactivated_at = utcnow()
    record("payment_link.deactivated", account_id=link.account_id, actor=actor, target=link.owner, ip=ip,
           detail=f"{link.kind_label} {link.name!r} of {link.owner.full_name} deactivated")
    db.session.commit()
    return True
