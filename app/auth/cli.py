"""`flask tokens purge`: keep the token revocation store small."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.sessions.service import purge_expired_revocations

tokens_cli = AppGroup("tokens", help="Maintain the token revocation store.")


@tokens_cli.command("purge")
def purge_tokens() -> None:
    """Delete revocation entries and sessions whose tokens have expired (run it from cron)."""
    click.echo(f"Purged {purge_expired_revocations()} expired revoked-token entries "
               "and sessions.")
