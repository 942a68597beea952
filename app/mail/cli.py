"""`flask mail send-pending`, `flask mail status` and `flask mail purge`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.mail.delivery import deliver_due
from app.mail.maintenance import outbox_status, purge_finished

mail_cli = AppGroup("mail", help="Deliver and inspect the mail outbox.")


@mail_cli.command("send-pending")
def send_pending() -> None:
    """Deliver every message due now, once, and exit (cron, or after an outage)."""
    report = deliver_due()
    click.echo(f"Delivered {report.sent} message(s); {report.failed} failed and will be "
               "retried." + (f" {report.rejected} refused for good by the server and "
                             "dropped." if report.rejected else ""))
    if report.failed or report.rejected:
        raise SystemExit(1)


@mail_cli.command("status")
def status() -> None:
    """Count pending, failing, sent and rejected messages; show the oldest unsent one's age."""
    counts = outbox_status()
    oldest = counts["oldest_unsent_seconds"]
    for status in ("pending", "failing", "sent", "rejected"):
        click.echo(f"{status}: {counts[status]}")
    click.echo("oldest unsent: " + ("none" if oldest is None else f"{oldest}s ago"))


@mail_cli.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Keep the traces of messages delivered (or rejected) within this many days.")
def purge(days: int) -> None:
    """Delete the rows of messages delivered or rejected more than --days ago (unsent never)."""
    purged = purge_finished(older_than=timedelta(days=days))
    click.echo(f"Purged {purged} delivered or rejected message(s).")
