"""A person's Google account: connect (OAuth 2.0 + PKCE), disconnect (revoke at Google, then
delete), and — for documents — a ready :class:`~wisesync.google.client.DriveClient`.

Only the person connects, uses or disconnects their own account: every function takes the
user whose account it is, and the routes pass ``current_user`` only. An admin's view of
someone else gets :func:`status_for` (connected or not, since when), never a token.

A refresh Google refuses (``invalid_grant``: revoked at myaccount.google.com, password change,
unused for six months) marks the account "Reconnect Google" with the reason, audited once;
later calls fail fast with that message without calling Google again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from wisesync.audit.services import record
from wisesync.crypto import SecretUnreadable, decrypt, encrypt
from wisesync.extensions import db
from wisesync.google.client import DriveClient, GoogleOAuth, GoogleSettings
from wisesync.google.errors import RECONNECT, GoogleError, GoogleTokenRevoked
from wisesync.google.models import STATUS_OK, STATUS_RECONNECT, GoogleAccount
from wisesync.modelbase import utcnow

log = logging.getLogger(__name__)
REFRESH_MARGIN = timedelta(minutes=2)
SETUP_URL = "https://console.cloud.google.com/apis/credentials"


def google_settings(app_config=None) -> GoogleSettings:
    c = app_config if app_config is not None else current_app.config
    return GoogleSettings(client_id=c.get("WISESYNC_GOOGLE_CLIENT_ID") or "",
                          client_secret=c.get("WISESYNC_GOOGLE_CLIENT_SECRET") or "",
                          authorize_url=c["WISESYNC_GOOGLE_AUTHORIZE_URL"], token_url=c["WISESYNC_GOOGLE_TOKEN_URL"],
                          revoke_url=c["WISESYNC_GOOGLE_REVOKE_URL"], userinfo_url=c["WISESYNC_GOOGLE_USERINFO_URL"],
                          drive_url=c["WISESYNC_GOOGLE_DRIVE_URL"], allow_local=bool(c.get("WISESYNC_ALLOW_LOCAL_PSA")))


def google_configured(app_config=None) -> bool:
    c = app_config if app_config is not None else current_app.config
    return bool(c.get("WISESYNC_GOOGLE_CLIENT_ID") and c.get("WISESYNC_GOOGLE_CLIENT_SECRET"))


def _oauth() -> GoogleOAuth:
    return GoogleOAuth(google_settings())


def account_for(user) -> GoogleAccount | None:
    return db.session.scalar(select(GoogleAccount).where(GoogleAccount.user_id == user.id,
                                                         GoogleAccount.account_id == user.account_id))


@dataclass(frozen=True)
class Status:
    """What anyone allowed to see the user page may see: never a token."""
    connected: bool
    email: str = ""
    connected_at: datetime | None = None
    needs_reconnect: bool = False
    reason: str = ""


def status_for(user, *, show_email: bool) -> Status:
    acc = account_for(user)
    if acc is None:
        return Status(False)
    return Status(True, acc.email if show_email else "", acc.connected_at, acc.needs_reconnect,
                  acc.status_reason if show_email else "")


def authorization_url(user, redirect_uri: str, state: str, code_verifier: str) -> str:
    return _oauth().authorization_url(redirect_uri, state, code_verifier, login_hint="")


def connect_failed(user, reason: str, *, ip: str = "") -> None:
    db.session.rollback()
    record("google.connect_failed", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail=f"Connect Google Account ended without a connection: {reason}"[:2000])
    db.session.commit()


def complete_connection(user, *, code: str, redirect_uri: str, code_verifier: str, ip: str = "") -> GoogleAccount:
    """Exchange the code, read the Google address, store the tokens (encrypted) for ``user``.
    Raises :class:`GoogleError` (nothing saved) when Google refuses or cannot be reached."""
    oauth = _oauth()
    tokens = oauth.exchange_code(code, redirect_uri, code_verifier)
    info = oauth.userinfo(tokens.access_token)
    acc = account_for(user) or GoogleAccount(account_id=user.account_id, user_id=user.id)
    replaced = acc.email if acc.id and acc.email != info["email"] else ""
    acc.email = str(info["email"])[:320]
    acc.subject = str(info["sub"])[:255]
    acc.scope = tokens.scope
    acc.access_token_enc = encrypt(tokens.access_token)
    acc.refresh_token_enc = encrypt(tokens.refresh_token)
    acc.expires_at = tokens.expires_at
    acc.status, acc.status_reason = STATUS_OK, ""
    acc.connected_at = utcnow()
    db.session.add(acc)
    record("google.connected", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail=f"Google account {acc.email} connected" + (f", replacing {replaced}" if replaced else ""))
    db.session.commit()
    return acc


@dataclass
class DisconnectOutcome:
    email: str
    reached_google: bool
    problem: str = ""


def disconnect(user, *, ip: str = "") -> DisconnectOutcome | None:
    """Revoke the grant at Google, then delete the stored tokens — locally even when Google
    cannot be reached, which the outcome says. None when nothing was connected."""
    acc = account_for(user)
    if acc is None:
        return None
    reached, problem = True, ""
    try:
        token = decrypt(acc.refresh_token_enc) if acc.refresh_token_enc else (
            decrypt(acc.access_token_enc) if acc.access_token_enc else "")
        if token:
            _oauth().revoke(token)
    except (GoogleError, SecretUnreadable) as exc:
        reached, problem = False, getattr(exc, "explanation", str(exc))
    email = acc.email
    db.session.delete(acc)
    record("google.disconnected", account_id=user.account_id, actor=user, target=user, ip=ip,
           detail=f"Google account {email} disconnected"
                  + ("" if reached else f"; Google could not be told ({problem}), tokens deleted here anyway"))
    db.session.commit()
    return DisconnectOutcome(email, reached, problem)


class GoogleNotConnected(GoogleError):
    title = "Google is not connected"


def _reveal(token: str) -> str:
    try:
        return decrypt(token)
    except SecretUnreadable:
        raise GoogleTokenRevoked("Your stored Google connection could not be decrypted (its key is no longer "
                                 "configured).", RECONNECT + ".") from None


def access_token(user, *, force_refresh: bool = False) -> str:
    """An access token of ``user``'s Google account valid for two more minutes (refreshed when
    needed, or always with ``force_refresh``). Raises :class:`GoogleNotConnected` or
    :class:`GoogleTokenRevoked` ("Reconnect Google")."""
    acc = account_for(user)
    if acc is None:
        raise GoogleNotConnected("You have not connected a Google account yet.",
                                 "Connect Google Account on your user page (Users → you → Google), then try again.")
    if acc.status == STATUS_RECONNECT or not acc.refresh_token_enc:
        raise GoogleTokenRevoked(acc.status_reason or "Google no longer accepts Wise-Sync's access to your account.",
                                 RECONNECT + ".")
    if not force_refresh and acc.access_token_enc and acc.expires_at and acc.expires_at - utcnow() > REFRESH_MARGIN:
        return _reveal(acc.access_token_enc)
    try:
        tokens = _oauth().refresh(_reveal(acc.refresh_token_enc))
    except GoogleTokenRevoked as exc:
        _mark_reconnect(acc, exc.explanation)
        raise
    values = {"access_token_enc": encrypt(tokens.access_token), "expires_at": tokens.expires_at,
              "refreshed_at": utcnow()}
    if tokens.refresh_token:  # Google may, rarely, send a new one: keep the newest
        values["refresh_token_enc"] = encrypt(tokens.refresh_token)
    # On a connection of its own, committed at once: a caller that rolls back its own work must
    # not roll back the new token (same reasoning as the Xero tokens).
    with db.engine.begin() as c:
        c.execute(update(GoogleAccount.__table__).where(GoogleAccount.__table__.c.id == acc.id).values(**values))
    db.session.expire(acc)
    return tokens.access_token


def _mark_reconnect(acc: GoogleAccount, reason: str) -> None:
    table = GoogleAccount.__table__
    with db.engine.begin() as c:
        marked = c.execute(update(table).where(table.c.id == acc.id, table.c.status == STATUS_OK).values(
            status=STATUS_RECONNECT, status_reason=reason[:1000], access_token_enc=None, expires_at=None)).rowcount
        if marked:
            from wisesync.audit.models import AuditEvent

            c.execute(AuditEvent.__table__.insert().values(
                action="google.reconnect_needed", account_id=acc.account_id, actor_id=None,
                target_user_id=acc.user_id, ip="", created_at=utcnow(),
                detail=f"Google refused to renew access for {acc.email}; marked 'Reconnect Google'"[:2000]))
    db.session.expire(acc)
    log.warning("Google refused to renew access for user %s: marked 'Reconnect Google'", acc.user_id)


def drive_for(user) -> DriveClient:
    """The person's own Drive. Raises what :func:`access_token` raises."""
    return DriveClient(google_settings(), access_token(user))


def with_drive(user, call):
    """``call(drive)`` on the person's own Drive. A 401 (the access token died early: clock skew,
    or access revoked at Google) renews the token once and tries again; a 401 after that, or a
    refresh Google refuses, marks the account "Reconnect Google" and raises
    :class:`GoogleTokenRevoked`."""
    try:
        return call(drive_for(user))
    except GoogleTokenRevoked as exc:
        if exc.status != 401:
            raise
    try:
        return call(DriveClient(google_settings(), access_token(user, force_refresh=True)))
    except GoogleTokenRevoked as exc:
        acc = account_for(user)
        if exc.status == 401 and acc is not None:
            _mark_reconnect(acc, exc.explanation)
        raise
