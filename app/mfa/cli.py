"""`flask mfa rotate-key`: re-encrypt every TOTP secret with the newest MFA key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.mfa.totp import reencrypt_totp_secrets

mfa_cli = AppGroup("mfa", help="Maintain multi-factor sign-in.")


@mfa_cli.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt TOTP secrets with the first key of MFA_ENCRYPTION_KEY."""
    count = reencrypt_totp_secrets()
    click.echo(f"Re-encrypted {count} TOTP secret(s) with the newest key.")
