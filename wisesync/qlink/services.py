"""QLink rules: tokens, one per user (and one per account), use, revocation (DESIGN §5).

A token is a bearer credential like an API key: 256 bits from :mod:`secrets` behind a
recognisable prefix (so secret scanners and people can tell what leaked), stored only as its
SHA-256. Lookups go by hash, so a guess costs the same whether it is malformed, unknown,
revoked or belongs to a disabled user; callers answer all of those with the same 404.
"""
from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wisesync.accounts.models import Account
from wisesync.audit.services import record
from wisesync.crypto import hash_token
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.passwords import verify_password
from wisesync.qlink.models import AccountQLink, QLink
from wisesync.users.models import User

USER_PREFIX = "wsq_"
ACCOUNT_PREFIX = "wsa_"
TOKEN_BYTES = 32  # 256 bits


def qlinks_available(account: Account) -> bool:
    """QLinks live in ConnectWise menu entries; Autotask accounts have none."""
    return account is not None and account.psa_type == "connectwise"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def _matches(stored: str, token: str, prefix: str) -> bool:
    computed = hash_token(token)
    # The row was found by this hash; compare again in constant time so no later change to
    # the query (a LIKE, a case-folding collation) can turn the lookup into an oracle.
    return hmac.compare_digest(stored, computed) and token.startswith(prefix)


def _commit_or_retry(apply) -> None:
    """Run ``apply()`` and commit; a concurrent insert of the same unique row is retried once."""
    apply()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        apply()
        db.session.commit()


# --- user QLinks -----------------------------------------------------------------------------

def qlink_for(user: User) -> QLink | None:
    return db.session.scalar(select(QLink).where(QLink.user_id == user.id))


def qlink_marker(user: User) -> str | None:
    """Names the user's current QLink (its row and when it was generated), or None without one.

    Kept in the session a QLink opened, so the session ends when this QLink is revoked or
    replaced; it identifies the link without holding anything of its token or hash."""
    row = db.session.execute(select(QLink.id, QLink.created_at).where(QLink.user_id == user.id)).first()
    return f"{row.id}:{row.created_at.isoformat()}" if row is not None else None


def generate_qlink(user: User, *, actor: User, ip: str = "") -> str:
    """Give ``user`` a new QLink and return the raw token (the only time it exists in full).

    Any previous QLink of the user stops working in the same commit.
    """
    token = new_token(USER_PREFIX)
    replaced = qlink_for(user) is not None

    def apply():
        link = qlink_for(user)
        if link is None:
            link = QLink(account_id=user.account_id, user_id=user.id)
            db.session.add(link)
        link.token_hash = hash_token(token)
        link.created_at = utcnow()
        link.created_by_id = actor.id
        link.last_used_at = link.last_used_ip = link.last_used_framed = None
        record("qlink.generated", account_id=user.account_id, actor=actor, target=user, ip=ip,
               detail="New QLink generated" + ("; the previous one stopped working" if replaced else ""))

    _commit_or_retry(apply)
    return token


def revoke_qlink(user: User, *, actor: User, ip: str = "") -> bool:
    """Delete the user's QLink. Returns False when there was none."""
    link = qlink_for(user)
    if link is None:
        return False
    db.session.delete(link)
    record("qlink.revoked", account_id=user.account_id, actor=actor, target=user, ip=ip,
           detail="QLink revoked")
    db.session.commit()
    return True


def use_qlink(token: str, *, ip: str = "", framed: bool = False, record_use: bool = True) -> User | None:
    """The user a QLink logs in, or None for any token that must not work.

    Valid means: the hash is on file, the token has the user prefix, the user is enabled and
    still in the QLink's account, and that account uses ConnectWise. With ``record_use`` the
    last use is stored and audited (the cookie-probe hop of a framed open passes False).
    """
    # One query for every rule, so a disabled user's token costs what an unknown one does.
    row = db.session.execute(
        select(QLink, User, Account).join(User, User.id == QLink.user_id)
        .join(Account, Account.id == QLink.account_id)
        .where(QLink.token_hash == hash_token(token or ""))
    ).first()
    if row is None:
        return None
    link, user, account = row
    if not (_matches(link.token_hash, token, USER_PREFIX) and user.enabled
            and user.account_id == account.id and qlinks_available(account)):
        return None
    if record_use:
        link.last_used_at, link.last_used_ip, link.last_used_framed = utcnow(), ip[:64], framed
        user.last_login_at = link.last_used_at
        record("qlink.used", account_id=user.account_id, actor=user, target=user, ip=ip,
               detail="Logged in with a QLink" + (" inside a frame (ConnectWise)" if framed else ""))
        db.session.commit()
    return user


def qlinks_in_account(account_id: int) -> list[QLink]:
    """Every active QLink of the account, newest first, with its user loaded."""
    return list(db.session.scalars(
        select(QLink).join(User, User.id == QLink.user_id)
        .where(QLink.account_id == account_id).order_by(QLink.created_at.desc())))


# --- the account QLink -----------------------------------------------------------------------

def account_by_id(account_id) -> Account | None:
    return db.session.get(Account, account_id) if isinstance(account_id, int) else None


def account_qlink_for(account_id: int) -> AccountQLink | None:
    return db.session.scalar(select(AccountQLink).where(AccountQLink.account_id == account_id))


def generate_account_qlink(account: Account, *, actor: User, ip: str = "") -> str:
    """Give the account a new account QLink (replacing the old one at once); returns the token."""
    token = new_token(ACCOUNT_PREFIX)

    def apply():
        link = account_qlink_for(account.id)
        if link is None:
            link = AccountQLink(account_id=account.id)
            db.session.add(link)
        link.token_hash = hash_token(token)
        link.created_at = utcnow()
        link.created_by_id = actor.id
        link.last_used_at = link.last_used_ip = link.last_used_framed = None
        record("account_qlink.generated", account_id=account.id, actor=actor, ip=ip,
               detail="New account QLink generated; any previous one stopped working")

    _commit_or_retry(apply)
    return token


def revoke_account_qlink(account: Account, *, actor: User, ip: str = "") -> bool:
    link = account_qlink_for(account.id)
    if link is None:
        return False
    db.session.delete(link)
    record("account_qlink.revoked", account_id=account.id, actor=actor, ip=ip,
           detail="Account QLink revoked")
    db.session.commit()
    return True


def use_account_qlink(token: str, *, ip: str = "", framed: bool = False,
                      record_use: bool = True) -> Account | None:
    """The account whose embedded login page the token opens, or None (same rules as above)."""
    row = db.session.execute(
        select(AccountQLink, Account).join(Account, Account.id == AccountQLink.account_id)
        .where(AccountQLink.token_hash == hash_token(token or ""))
    ).first()
    if row is None:
        return None
    link, account = row
    if not (_matches(link.token_hash, token, ACCOUNT_PREFIX) and qlinks_available(account)):
        return None
    if record_use:
        link.last_used_at, link.last_used_ip, link.last_used_framed = utcnow(), ip[:64], framed
        record("account_qlink.used", account_id=account.id, ip=ip,
               detail="Account QLink opened" + (" inside a frame (ConnectWise)" if framed else ""))
        db.session.commit()
    return account


# --- re-authentication of a QLink session ----------------------------------------------------

def confirm_password(user: User, password: str, *, ip: str = "") -> bool:
    """Check the password a QLink session must give before a sensitive action; audited."""
    ok = verify_password(user.password_hash, password or "")
    record("qlink.reauth" if ok else "qlink.reauth_failed", account_id=user.account_id,
           actor=user, target=user, ip=ip,
           detail="Password confirmed in a QLink session" if ok else "Wrong password in a QLink session")
    db.session.commit()
    return ok
