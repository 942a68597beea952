"""`flask mail send-pending`, `flask mail status` and `flask mail purge`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.mail.delivery import deliver_due, outbox_status, purge_sent

mail_cli = AppGroup("mail", help="Deliver and inspect the mail outbox.")


@mail_cli.command("send-pending")
def send_pending() -> None:
    """Deliver every message due now, once, and exit (cron, or after an outage)."""
    report = deliver_due()
    click.echo(f"Delivered {report.sent} message(s); {report.failed} failed and will be "
               "retried.")
    if report.failed:
        raise SystemExit(1)


@mail_cli.command("status")
def status() -> None:
    """Count pending, failing and sent messages; show the oldest unsent one's age."""
    counts = outbox_status()
    oldest = counts["oldest_unsent_seconds"]
    click.echo(f"pending: {counts['pending']}")
    click.echo(f"failing: {counts['failing']}")
    click.echo(f"sent: {counts['sent']}")
    click.echo("oldest unsent: " + ("none" if oldest is None else f"{oldest}s ago"))


@mail_cli.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Keep the traces of messages delivered within this many days.")
def purge(days: int) -> None:
    """Delete the rows of messages delivered more than --days ago (unsent ones never)."""
    click.echo(f"Purged {purge_sent(older_than=timedelta(days=days))} delivered message(s).")
