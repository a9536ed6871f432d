"""Password reset and account settings (the mailed second factor is in :mod:`.two_factor`, the
audit log page in :mod:`.audit_log`).

Services take explicit arguments and commit once per use case. Raw tokens and codes exist only
in memory and in the mail; the database keeps hashes.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Callable

from sqlalchemy import func, select, update

from wisesync.accounts.models import TWO_FACTOR_MODES, Account
from wisesync.audit.services import record
from wisesync.auth.services import set_password
from wisesync.crypto import hash_token
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.security.mail import send_mail
from wisesync.security.models import PasswordReset
from wisesync.service_errors import FieldError
from wisesync.users.models import User

RESET_TTL = timedelta(minutes=30)
RESETS_PER_HOUR = 3  # per user: more requests get the same answer but no mail (no mail-bombing)


# ---------------------------------------------------------------- password reset

class ResetLinkInvalid(Exception):
    """The link is unknown, used, expired, or its user is disabled. The message is safe to show."""


INVALID_LINK = ("This reset link is not valid any more: it was already used, is older than "
                "30 minutes, or was replaced by a newer one. Ask for a new link.")


def request_reset(email: str, *, ip: str, link_for: Callable[[str], str]) -> None:
    """Mail a reset link to the enabled user with ``email``, if there is one.

    The caller answers the same whatever happens here; both paths write one audit row so they
    take about as long. ``link_for(token)`` builds the absolute URL put in the mail.
    """
    key = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == key)) if key else None
    if user is None:
        # The typed address is not stored: people paste passwords into the wrong field.
        record("password.reset_requested", account_id=None, ip=ip, detail="Unknown email address")
        db.session.commit()
        return
    if not user.enabled:
        record("password.reset_refused", account_id=user.account_id, target=user, ip=ip,
               detail="Reset requested for a disabled user; no mail sent")
        db.session.commit()
        return
    recent = db.session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.user_id == user.id, PasswordReset.created_at > utcnow() - timedelta(hours=1)))
    if recent >= RESETS_PER_HOUR:
        record("password.reset_refused", account_id=user.account_id, target=user, ip=ip,
               detail=f"More than {RESETS_PER_HOUR} reset mails in an hour; no mail sent")
        db.session.commit()
        return
    token = secrets.token_urlsafe(32)  # 256 bits
    db.session.add(PasswordReset(account_id=user.account_id, user_id=user.id,
                                 token_hash=hash_token(token), expires_at=utcnow() + RESET_TTL, ip=ip))
    record("password.reset_requested", account_id=user.account_id, target=user, ip=ip,
           detail="Reset link mailed (valid 30 minutes)")
    db.session.commit()
    send_mail(user.email, "Reset your Wise-Sync password", (
        f"Hello {user.first_name},\n\n"
        f"Someone (hopefully you) asked to reset the Wise-Sync password for {user.username}.\n"
        f"Open this link within 30 minutes to choose a new password:\n\n{link_for(token)}\n\n"
        "The link works once. If you did not ask for it, ignore this mail: your password "
        "stays as it is.\n"))


def _reset_row(token: str) -> PasswordReset:
    row = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.enabled:
        raise ResetLinkInvalid(INVALID_LINK)
    return row


def check_reset_token(token: str) -> User:
    """The user a live reset link belongs to, or :class:`ResetLinkInvalid`."""
    return _reset_row(token).user


def reset_password(token: str, password: str, *, ip: str) -> tuple[User, bool]:
    """Use the link once: new password, every session of the user ended, their QLink revoked,
    a notice mailed. Returns the user and whether a QLink was revoked.

    A reset is the "someone has my password" path: a QLink (a bearer credential in a menu
    entry) must not outlive it, or the intruder keeps a way in.
    """
    from wisesync.qlink.models import QLink

    row = _reset_row(token)
    now = utcnow()
    # Single use even when two requests race: only one UPDATE finds used_at still empty.
    claimed = db.session.execute(
        update(PasswordReset).where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ResetLinkInvalid(INVALID_LINK)
    user = row.user
    # Older links of this user die with this one.
    db.session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now))
    set_password(user, password)
    qlink = db.session.scalar(select(QLink).where(QLink.user_id == user.id))
    if qlink is not None:
        db.session.delete(qlink)
        record("qlink.revoked", account_id=user.account_id, actor=user, target=user, ip=ip,
               detail="QLink revoked because the password was reset")
    record("password.reset", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail="Password reset through a mailed link; every session ended"
                  + ("; QLink revoked" if qlink is not None else ""))
    db.session.commit()
    send_mail(user.email, "Your Wise-Sync password was changed", (
        f"Hello {user.first_name},\n\n"
        f"The Wise-Sync password for {user.username} was just changed through a reset link "
        f"(from IP address {ip or 'unknown'}). Every session was logged out.\n\n"
        + ("Your QLink was revoked too; ask your account administrator for a new one.\n\n"
           if qlink is not None else "")
        + "If this was not you, ask your account administrator to disable the user and "
        "reset the password now.\n"))
    return user, qlink is not None


# ---------------------------------------------------------------- account settings

NO_MAIL_FOR_2FA = ("Two-factor login cannot be required yet: no mail server is configured, so the "
                   "login codes would only reach the portal's log and nobody could log in. Set "
                   "MAIL_SERVER (and MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS) in the "
                   "portal's environment, restart it, then require two-factor login.")


def update_account(account: Account, *, name: str, two_factor: str, actor: User, ip: str,
                   mail_configured: bool) -> None:
    """Rename the account and/or switch 2FA; one audit row lists what changed.

    Requiring 2FA is refused (:class:`FieldError`) while ``mail_configured`` is False: every
    password login would wait for a code that never arrives. Switching it off always works.
    """
    if two_factor not in TWO_FACTOR_MODES:
        raise FieldError("two_factor", "Choose Off or Required.")
    if two_factor == "required" and account.two_factor != "required" and not mail_configured:
        raise FieldError("two_factor", NO_MAIL_FOR_2FA)
    changes = []
    name = name.strip()
    if name != account.name:
        changes.append(f"name {account.name!r} → {name!r}")
        account.name = name
    if two_factor != account.two_factor:
        changes.append(f"two-factor login {account.two_factor} → {two_factor}")
        account.two_factor = two_factor
    if changes:
        record("account.settings_changed", account_id=account.id, actor=actor, ip=ip,
               detail="; ".join(changes))
    db.session.commit()
