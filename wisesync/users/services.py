"""Users: create, edit, change password, disable and enable (the list is in ``listing``).

Services take explicit arguments (the account, the acting admin, the client IP), check the
rules, raise :class:`FieldError` for the form, and commit once per use case.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wisesync.audit.services import record
from wisesync.auth.services import set_password
from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.passwords import hash_password
from wisesync.service_errors import FieldError
from wisesync.users.models import ROLE_LABELS, PaymentLink, User

EMAIL_TAKEN = "That email address is already used by another user."
USERNAME_TAKEN = "That username is already used by another user."
NOT_OUR_COMPANY = "Choose companies from this account's list."
OWN_ROLE = "You can't change your own role. Ask another account admin to do it."
LAST_ADMIN_ROLE = "This is the only enabled account admin; make someone else an admin first."
DISABLE_SELF = "You can't disable yourself. Ask another account admin to do it."
DISABLE_LAST_ADMIN = ("This is the only enabled account admin, so it can't be disabled. "
                      "Make another user an account admin first.")


def form_data(user: User) -> dict:
    """The edit form's starting values."""
    return {"role": user.role, "companies": [c.id for c in user.companies],
            "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "username": user.username}


def _account_companies(account_id: int, company_ids) -> list[Company]:
    """The account's companies with these ids; any other id (another account's, or none) is a
    field error, never a grant."""
    ids = {int(i) for i in company_ids or ()}
    if not ids:
        return []
    found = list(db.session.scalars(select(Company).where(
        Company.account_id == account_id, Company.id.in_(ids)).order_by(Company.name_key)))
    if len(found) != len(ids):
        raise FieldError("companies", NOT_OUR_COMPANY)
    return found


def _check_unique(email: str, username: str, exclude_id: int | None = None) -> None:
    for column, value, field, message in ((User.email, email, "email", EMAIL_TAKEN),
                                          (User.username, username, "username", USERNAME_TAKEN)):
        query = select(User.id).where(column == value)
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if db.session.scalar(query) is not None:
            raise FieldError(field, message)


@contextmanager
def _saving():
    """Run the writes and commit; a uniqueness race the pre-check missed (raised at a flush or
    at the commit) rolls everything back and becomes the same field error."""
    try:
        yield
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        diag = getattr(exc.orig, "diag", None)  # psycopg names the constraint; SQLite the column
        violated = getattr(diag, "constraint_name", None) or str(exc.orig).splitlines()[0]
        if "username" in violated:
            raise FieldError("username", USERNAME_TAKEN) from None
        raise FieldError("email", EMAIL_TAKEN) from None


def _enabled_admins(account_id: int) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.account_id == account_id, User.role == "account-admin", User.enabled.is_(True)))


def _names(companies) -> str:
    return ", ".join(c.name for c in companies) or "none"


def create_user(account_id: int, *, role: str, company_ids, first_name: str, last_name: str,
                email: str, username: str | None, password: str, actor=None, ip: str = "") -> User:
    """Create an enabled user. ``username`` defaults to the email; both are stored lower-cased.
    Raises :class:`FieldError` (email/username taken, a company not of this account)."""
    email = email.strip().lower()
    username = (username or "").strip().lower() or email
    companies = _account_companies(account_id, company_ids)
    _check_unique(email, username)
    user = User(account_id=account_id, role=role, first_name=first_name.strip(),
                last_name=last_name.strip(), email=email, username=username,
                password_hash=hash_password(password), companies=companies)
    with _saving():
        db.session.add(user)
        db.session.flush()  # the id, for the audit row
        record("user.created", account_id=account_id, actor=actor, target=user, ip=ip,
               detail=f"Created {user.full_name} <{email}> as {ROLE_LABELS[role]}; "
                      f"companies: {_names(companies)}")
    return user


def update_user(user: User, *, role: str, company_ids, first_name: str, last_name: str,
                email: str, username: str | None, actor, ip: str = "") -> list[str]:
    """Save the edit page (never the password); returns what changed, empty when nothing did.
    Raises :class:`FieldError` for taken email/username, foreign companies, or a role change
    that would leave the account without an enabled admin (or is the admin's own)."""
    email = email.strip().lower()
    username = (username or "").strip().lower() or email
    companies = _account_companies(user.account_id, company_ids)
    if role != user.role:
        if actor is not None and actor.id == user.id:
            raise FieldError("role", OWN_ROLE)
        if user.is_admin and user.enabled and _enabled_admins(user.account_id) <= 1:
            raise FieldError("role", LAST_ADMIN_ROLE)
    _check_unique(email, username, exclude_id=user.id)

    old_companies = list(user.companies)
    changes, audit = [], {"account_id": user.account_id, "actor": actor, "target": user, "ip": ip}
    with _saving():
        for label, attr, value in (("first name", "first_name", first_name.strip()),
                                   ("last name", "last_name", last_name.strip()),
                                   ("email", "email", email), ("username", "username", username)):
            if getattr(user, attr) != value:
                changes.append(f"{label}: {getattr(user, attr)!r} → {value!r}")
                setattr(user, attr, value)
        if changes:
            record("user.edited", detail="; ".join(changes), **audit)
        if role != user.role:
            change = f"role: {ROLE_LABELS[user.role]} → {ROLE_LABELS[role]}"
            record("user.role_changed", detail=change, **audit)
            changes.append(change)
            user.role = role
        if {c.id for c in old_companies} != {c.id for c in companies}:
            change = f"companies: {_names(old_companies)} → {_names(companies)}"
            record("user.companies_changed", detail=change, **audit)
            changes.append(change)
            user.companies = companies
    return changes


def change_password(user: User, password: str, *, actor, ip: str = "") -> None:
    """An admin sets a user's password; every session that user has ends."""
    set_password(user, password)
    who = "own password" if actor is not None and actor.id == user.id else "by an account admin"
    record("password.changed", account_id=user.account_id, actor=actor, target=user, ip=ip,
           detail=f"Password of {user.full_name} set {who}")
    db.session.commit()


def active_payment_links(user: User) -> list[PaymentLink]:
    """The user's Wise-Pay links that still work (they stop when the user is disabled)."""
    return list(db.session.scalars(select(PaymentLink).where(
        PaymentLink.account_id == user.account_id, PaymentLink.user_id == user.id,
        PaymentLink.active.is_(True)).order_by(PaymentLink.kind, PaymentLink.name)))


def why_not_disable(user: User, actor) -> str | None:
    """The reason ``actor`` may not disable ``user``, or None when it is allowed."""
    if actor is not None and actor.id == user.id:
        return DISABLE_SELF
    if user.is_admin and user.enabled and _enabled_admins(user.account_id) <= 1:
        return DISABLE_LAST_ADMIN
    return None


def disable_user(user: User, *, actor, ip: str = "") -> list[PaymentLink]:
    """Disable the user: no login, current sessions end on their next request, and their
    active Wise-Pay links are deactivated (returned). Disabling twice changes nothing.
    Raises :class:`FieldError` on ``user`` for oneself or the last enabled admin."""
    if not user.enabled:
        return []
    problem = why_not_disable(user, actor)
    if problem:
        raise FieldError("user", problem)
    now = utcnow()
    user.enabled = False
    user.disabled_at = now
    user.session_version += 1
    links = active_payment_links(user)
    for link in links:
        link.active = False
        link.deactivated_at = now
    stopped = ", ".join(f"{link.kind_label} {link.name!r}" for link in links) or "none"
    record("user.disabled", account_id=user.account_id, actor=actor, target=user, ip=ip,
           detail=f"Disabled {user.full_name}; Wise-Pay links deactivated: {stopped}")
    db.session.commit()
    return links


def enable_user(user: User, *, actor, ip: str = "") -> bool:
    """Let the user log in again. Their deactivated Wise-Pay links stay inactive: a new link
    must be configured. Returns False when the user was already enabled."""
    if user.enabled:
        return False
    user.enabled = True
    user.disabled_at = None
    record("user.enabled", account_id=user.account_id, actor=actor, target=user, ip=ip,
           detail=f"Enabled {user.full_name}; earlier Wise-Pay links stay inactive")
    db.session.commit()
    return True
