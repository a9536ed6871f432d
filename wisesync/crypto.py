"""Encryption of third-party secrets at rest (member passwords, API keys, Autotask secrets).

Keys come from ``WISESYNC_SECRETS_KEYS`` (newest first) so they can rotate: everything is
encrypted with the newest key and decrypted with any of them.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(Exception):
    """A stored secret was encrypted with a key that is no longer configured."""

    def __str__(self) -> str:  # never carries the ciphertext
        return (
            "A stored secret could not be decrypted: the key it was saved with is not in "
            "WISESYNC_SECRETS_KEYS. Add the old key back (after the new one) or enter the secret again."
        )


def _fernet(keys: list[str] | None = None) -> MultiFernet:
    keys = keys if keys is not None else current_app.config["WISESYNC_SECRETS_KEYS"]
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt(plaintext: str, keys: list[str] | None = None) -> str:
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: list[str] | None = None) -> str:
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc


def rotate(token: str, keys: list[str] | None = None) -> str:
    """Re-encrypt ``token`` with the newest key."""
    try:
        return _fernet(keys).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable() from exc


def hash_token(token: str) -> str:
    """SHA-256 of a bearer token (QLink, password reset): only this is stored, never the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def secret_state(set_at: datetime | None) -> str:
    """How a stored secret shows on a page (DESIGN §3): its date, never its value."""
    return f"•••• set on {set_at.day} {set_at:%b %Y}" if set_at else "Not set"
