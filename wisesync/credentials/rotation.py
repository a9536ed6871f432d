"""``flask rotate-secrets``: re-encrypt every stored secret with the newest key, all or nothing."""
from __future__ import annotations

from sqlalchemy import select, update

from wisesync.crypto import SecretUnreadable, rotate
from wisesync.extensions import db

def encrypted_columns() -> list[tuple]:
    """(table, [columns]) for every column that holds a Fernet token.

    By convention such columns end in ``_enc`` (``psa_credentials.secret_enc``,
    ``integration_settings.cw_private_key_enc``/``at_secret_enc``, the Xero tokens
    ``xero_connections.access_token_enc``/``refresh_token_enc``...), so a feature that adds
    one is rotated without touching this code.
    """
    out = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith("_enc")]
        if columns:
            out.append((table, columns))
    return out


class RotationFailed(Exception):
    """Some secrets could not be decrypted with any configured key; nothing was changed."""

    def __init__(self, where: list[str]):
        super().__init__(f"{len(where)} stored secret(s) could not be decrypted with any configured key: "
                         + ", ".join(where))
        self.where = where


def rotate_secrets(keys: list[str] | None = None) -> dict[str, int]:
    """Re-encrypt every stored secret with the newest key, in one transaction.

    Returns ``{"table.column": count}``. Raises :class:`RotationFailed` (and changes nothing)
    when a secret was encrypted with a key that is no longer configured.
    """
    counts: dict[str, int] = {}
    unreadable: list[str] = []
    for table, columns in encrypted_columns():
        pk = list(table.primary_key.columns)
        rows = db.session.execute(select(*pk, *columns)).all()
        for row in rows:
            values = {}
            for column in columns:
                token = getattr(row, column.name)
                if not token:
                    continue
                try:
                    values[column.name] = rotate(token, keys)
                except SecretUnreadable:
                    unreadable.append(f"{table.name}.{column.name} id={row[0]}")
                    continue
                counts[f"{table.name}.{column.name}"] = counts.get(f"{table.name}.{column.name}", 0) + 1
            if values:
                # Compare-and-swap on the old ciphertext: a token rewritten meanwhile (a Xero
                # refresh stores a new refresh token from another process) is already encrypted
                # with a current key and must not be overwritten with the old, spent one.
                unchanged = [table.c[name] == getattr(row, name) for name in values]
                done = db.session.execute(update(table).where(*[c == getattr(row, c.name) for c in pk], *unchanged)
                                          .values(**values)).rowcount
                if not done:
                    for name in values:
                        counts[f"{table.name}.{name}"] -= 1
    if unreadable:
        db.session.rollback()
        raise RotationFailed(unreadable)
    db.session.commit()
    return counts
