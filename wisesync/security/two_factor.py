"""The second factor by mail: a 6-digit code bound to one pending login attempt.

Nobody is logged in until the code is right. The code is stored as an HMAC (keyed with the
SECRET_KEY) on the attempt row; it lasts ``CODE_TTL``, works once, allows ``MAX_TRIES`` wrong
tries, and a new one can be sent every ``RESEND_AFTER``, at most ``MAX_SENDS`` times.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from wisesync.audit.services import record
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.security.mail import send_mail
from wisesync.security.models import LoginChallenge
from wisesync.users.models import User

CODE_TTL = timedelta(minutes=10)
ATTEMPT_TTL = timedelta(minutes=30)  # a pending login dies after this, resends or not
MAX_TRIES = 5
# Across login attempts too: whoever knows the password could otherwise log in again and again
# for five fresh tries each time. Wrong codes of one user in the last hour, all attempts summed.
USER_MAX_TRIES = 10
USER_WINDOW = timedelta(hours=1)
MAX_SENDS = 4
RESEND_AFTER = timedelta(seconds=60)


def two_factor_required(user: User) -> bool:
    return user.account.two_factor == "required"


class ChallengeFailed(Exception):
    """Wrong/expired code. ``dead`` means the login attempt is over (start again)."""

    def __init__(self, message: str, *, dead: bool = False):
        super().__init__(message)
        self.message, self.dead = message, dead


class ResendRefused(Exception):
    """A new code was asked for too soon or too often. The message is safe to show."""


ATTEMPT_OVER = "This login attempt has ended. Log in again to get a new code."
USER_LOCKED = ("There were too many wrong login codes for this user in the last hour, so login "
               "codes are paused for now. Try again in an hour. If those attempts were not yours, "
               "someone knows your password: reset it.")


def wrong_codes_recently(user_id: int) -> int:
    """Wrong codes entered for ``user_id`` in the last :data:`USER_WINDOW`, over every attempt."""
    return db.session.scalar(select(func.coalesce(func.sum(LoginChallenge.attempts), 0)).where(
        LoginChallenge.user_id == user_id, LoginChallenge.created_at > utcnow() - USER_WINDOW)) or 0


def _code_hash(public_id: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _mail_code(user: User, code: str) -> None:
    send_mail(user.email, f"Your Wise-Sync login code: {code}", (
        f"Hello {user.first_name},\n\nYour Wise-Sync login code is\n\n    {code}\n\n"
        "It is valid for 10 minutes and works once. If you did not just log in, someone knows "
        "your password: change it and tell your account administrator.\n"))


def start_challenge(user: User, *, ip: str) -> str:
    """The password step passed: mail a code and return the id the session keeps.

    Raises :class:`ChallengeFailed` (and mails nothing) while the user's wrong codes of the
    last hour reach :data:`USER_MAX_TRIES`.
    """
    if wrong_codes_recently(user.id) >= USER_MAX_TRIES:
        record("login.refused", account_id=user.account_id, target=user, ip=ip,
               detail=f"Password accepted but {USER_MAX_TRIES} wrong login codes in the last hour; no code sent")
        db.session.commit()
        raise ChallengeFailed(USER_LOCKED, dead=True)
    public_id, code = secrets.token_urlsafe(24), _new_code()
    now = utcnow()
    db.session.add(LoginChallenge(public_id=public_id, account_id=user.account_id, user_id=user.id,
                                  code_hash=_code_hash(public_id, code), created_at=now,
                                  last_sent_at=now, code_expires_at=now + CODE_TTL))
    record("login.code_sent", account_id=user.account_id, target=user, ip=ip,
           detail="Password accepted; login code mailed")
    db.session.commit()
    _mail_code(user, code)
    return public_id


def _live_challenge(public_id: str | None) -> LoginChallenge:
    row = db.session.scalar(select(LoginChallenge).where(
        LoginChallenge.public_id == (public_id or ""))) if public_id else None
    if (row is None or row.finished_at is not None or row.created_at + ATTEMPT_TTL <= utcnow()
            or not row.user.enabled):
        raise ChallengeFailed(ATTEMPT_OVER, dead=True)
    return row


def pending_user(public_id: str | None) -> User:
    return _live_challenge(public_id).user


def verify_code(public_id: str | None, code: str, *, ip: str) -> User:
    """Return the user when ``code`` is right; count the try otherwise (5 and the attempt dies)."""
    row = _live_challenge(public_id)
    now = utcnow()
    if wrong_codes_recently(row.user_id) >= USER_MAX_TRIES:
        # Even the right code: guessing across attempts must not pay off.
        row.finished_at = now
        db.session.commit()
        raise ChallengeFailed(USER_LOCKED, dead=True)
    good = hmac.compare_digest(row.code_hash, _code_hash(row.public_id, (code or "").strip()))
    if good and row.code_expires_at > now:
        row.finished_at = now
        db.session.commit()
        return row.user
    row.attempts += 1
    audit = {"account_id": row.account_id, "target": row.user, "ip": ip}
    if row.attempts >= MAX_TRIES:
        row.finished_at = now
        record("login.code_failed", detail=f"Wrong login code {MAX_TRIES} times; attempt ended", **audit)
        db.session.commit()
        raise ChallengeFailed(f"That code was wrong {MAX_TRIES} times. {ATTEMPT_OVER}", dead=True)
    record("login.code_failed", detail=f"Wrong or expired login code (try {row.attempts} of {MAX_TRIES})",
           **audit)
    db.session.commit()
    if good:
        raise ChallengeFailed("That code has expired. Ask for a new code below.")
    left = MAX_TRIES - row.attempts
    raise ChallengeFailed(f"That code is not right. Check the latest mail; {left} "
                          f"{'try' if left == 1 else 'tries'} left.")


def resend_code(public_id: str | None, *, ip: str) -> None:
    """Replace the code with a new one (the old one stops working); throttled per attempt."""
    row = _live_challenge(public_id)
    now = utcnow()
    if row.sends >= MAX_SENDS:
        raise ResendRefused("No more codes can be sent for this login attempt. Log in again.")
    wait = int((row.last_sent_at + RESEND_AFTER - now).total_seconds())
    if wait > 0:
        raise ResendRefused(f"A code was sent moments ago. Check your mail (and the spam folder), "
                            f"or ask again in {wait} seconds.")
    code = _new_code()
    row.code_hash, row.code_expires_at = _code_hash(row.public_id, code), now + CODE_TTL
    row.sends += 1
    row.last_sent_at = now
    record("login.code_sent", account_id=row.account_id, target=row.user, ip=ip,
           detail="New login code mailed on request")
    db.session.commit()
    _mail_code(row.user, code)


def abandon_challenge(public_id: str | None) -> None:
    if not public_id:
        return
    db.session.execute(update(LoginChallenge).where(
        LoginChallenge.public_id == public_id, LoginChallenge.finished_at.is_(None))
        .values(finished_at=utcnow()))
    db.session.commit()


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}"
