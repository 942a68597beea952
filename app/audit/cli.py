"""`flask audit purge`: drop events older than AUDIT_RETENTION_DAYS."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.audit.service import purge_expired_events

audit_cli = AppGroup("audit", help="Maintain the audit trail.")


@audit_cli.command("purge")
def purge() -> None:
    """Delete audit events older than AUDIT_RETENTION_DAYS (run it from cron)."""
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    if days < 1:  # 0 or less would delete the whole trail, today's events included
        raise click.ClickException(f"AUDIT_RETENTION_DAYS must be at least 1, got {days}.")
    click.echo(f"Purged {purge_expired_events()} audit event(s) older than {days} days.")
