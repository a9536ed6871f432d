"""Setup, login and own-password rules."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from wisesync.accounts.models import Account
from wisesync.audit.services import record
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.passwords import hash_password, verify_password
from wisesync.security.models import SetupClaim
from wisesync.service_errors import FieldError
from wisesync.users.models import User


class LoginFailed(Exception):
    """Wrong username/password, or a disabled user. The message is safe to show."""


WRONG_LOGIN = "That username and password do not match. Check both and try again."
DISABLED_LOGIN = "This user is disabled. Ask your account administrator to enable it again."


class SetupFinished(Exception):
    """First-run setup already happened (or another request is finishing it right now)."""


def needs_setup() -> bool:
    if db.session.get(SetupClaim, 1) is not None:
        return False
    return db.session.scalar(select(func.count(User.id))) == 0


def create_account_with_admin(*, account_name: str, psa_type: str, first_name: str,
                              last_name: str, email: str, password: str, ip: str = "") -> User:
    """First run: the account and its first account-admin, in one transaction.

    Raises :class:`SetupFinished` when setup is done, also when a concurrent first run got
    there first: the singleton :class:`SetupClaim` row is inserted before anything else, and
    only one transaction can have it.
    """
    if not needs_setup():
        raise SetupFinished()
    email = email.strip().lower()
    password_hash = hash_password(password)  # slow: before the claim, so it is held briefly
    try:
        db.session.add(SetupClaim(id=1))
        db.session.flush()
        account = Account(name=account_name.strip(), psa_type=psa_type)
        user = User(account=account, role="account-admin", first_name=first_name.strip(),
                    last_name=last_name.strip(), email=email, username=email,
                    password_hash=password_hash)
        db.session.add_all([account, user])
        db.session.flush()
        record("account.created", account_id=account.id, actor=user, target=user, ip=ip,
               detail=f"Account {account.name!r} ({psa_type}) and its first admin created")
        db.session.commit()
    except (IntegrityError, OperationalError) as exc:
        # The loser of a race: the claim's primary key (or, on SQLite, the lock held by the
        # winner for longer than busy_timeout).
        db.session.rollback()
        if isinstance(exc, IntegrityError) or not needs_setup():
            raise SetupFinished() from None
        raise
    return user


def authenticate(username: str, password: str, *, ip: str = "") -> User:
    """Return the user for a correct username and password, or raise :class:`LoginFailed`."""
    key = (username or "").strip().lower()
    user = db.session.scalar(select(User).where(User.username == key))
    if not verify_password(user.password_hash if user else None, password or ""):
        record("login.failed", account_id=user.account_id if user else None, target=user, ip=ip,
               detail=f"Wrong password for {key!r}" if user else "Unknown username")
        db.session.commit()
        raise LoginFailed(WRONG_LOGIN)
    if not user.enabled:
        record("login.refused", account_id=user.account_id, target=user, ip=ip,
               detail="User is disabled")
        db.session.commit()
        raise LoginFailed(DISABLED_LOGIN)
    return user


LOGIN_HOW = {"password": "With the password", "setup": "At the end of the first-run setup",
             "password + mailed code": "With the password and a mailed login code"}


def mark_logged_in(user: User, *, ip: str = "", how: str = "password") -> None:
    user.last_login_at = utcnow()
    record("login.ok", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail=LOGIN_HOW.get(how, how))
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Store a new password and end every session the user has (the caller logs them back in)."""
    user.password_hash = hash_password(password)
    user.session_version += 1


def end_all_sessions(user: User, *, ip: str = "") -> None:
    """Log out: the bumped version makes every session of ``user`` anonymous on its next request."""
    user.session_version += 1
    record("logout", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail="Logged out; every session of this user ended")
    db.session.commit()


def change_own_password(user: User, current: str, new: str, *, ip: str = "") -> None:
    if not verify_password(user.password_hash, current):
        raise FieldError("current_password", "That is not your current password.")
    set_password(user, new)
    record("password.changed", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail="Changed own password")
    db.session.commit()
