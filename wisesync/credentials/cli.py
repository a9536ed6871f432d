"""``flask rotate-secrets``: re-encrypt every stored secret with the newest key.

Rotation: put a new key first in ``WISESYNC_SECRETS_KEYS`` (keep the old one after it), run
this, then remove the old key. Nothing is changed when any secret cannot be decrypted.
"""
from __future__ import annotations

import click


def register_cli(app) -> None:
    @app.cli.command("rotate-secrets")
    def rotate_secrets_command() -> None:
        """Re-encrypt every stored PSA secret with the first key of WISESYNC_SECRETS_KEYS."""
        from wisesync.credentials.rotation import RotationFailed, rotate_secrets

        try:
            counts = rotate_secrets()
        except RotationFailed as exc:
            click.echo(f"Nothing was changed. {exc}.", err=True)
            click.echo("Add the key those secrets were saved with to WISESYNC_SECRETS_KEYS (after the "
                       "new one) and run this again, or enter those secrets again first.", err=True)
            raise SystemExit(1) from None
        total = sum(counts.values())
        for where, count in sorted(counts.items()):
            click.echo(f"{where}: {count} re-encrypted")
        click.echo(f"{total} secret(s) now use the newest key; older keys can be removed from "
                   "WISESYNC_SECRETS_KEYS.")
