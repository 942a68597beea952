"""`flask audit purge`: drop events older than AUDIT_RETENTION_DAYS."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.audit.service import purge_expired_events
from app.settings import settings

audit_cli = AppGroup("audit", help="Maintain the audit trail.")


@audit_cli.command("purge")
def purge() -> None:
    """Delete audit events older than AUDIT_RETENTION_DAYS (run it from cron)."""
    days = settings().audit.retention_days  # at least 1: the settings refuse less
    click.echo(f"Purged {purge_expired_events()} audit event(s) older than {days} days.")
