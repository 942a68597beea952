"""`flask files gc`: reconcile the storage with the `files` table after a crash."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.files.gc import collect_garbage
from app.settings import settings

files_cli = AppGroup("files", help="Maintain stored files.")


@files_cli.command("gc")
@click.option("--dry-run", is_flag=True, help="Report only; change nothing.")
@click.option("--grace-seconds", type=click.IntRange(min=0), default=None,
              help="Leave bytes younger than this alone (default FILES_GC_GRACE_SECONDS).")
@click.option("--delete-missing-rows", is_flag=True,
              help="Also delete rows whose bytes are gone (users showing them lose their "
                   "profile image). Off by default: check the storage configuration first.")
def gc(dry_run: bool, grace_seconds: int | None, delete_missing_rows: bool) -> None:
    """Remove bytes with no row; report (and optionally delete) rows with no bytes."""
    if grace_seconds is None:
        grace_seconds = settings().files.gc_grace_seconds
    report = collect_garbage(grace=timedelta(seconds=grace_seconds), dry_run=dry_run,
                             delete_missing_rows=delete_missing_rows)
    verb = "would be removed" if dry_run else "removed"
    for key in report.orphan_bytes_removed:
        click.echo(f"orphan bytes {verb}: {key}")
    for key in report.orphan_bytes_kept_recent:
        click.echo(f"orphan bytes kept (younger than {grace_seconds}s): {key}")
    for file_id in report.rows_without_bytes:
        if file_id in report.rows_removed:
            action = "row deleted"
        elif dry_run and delete_missing_rows:
            action = "row would be deleted"
        else:
            action = "row kept (--delete-missing-rows deletes it)"
        click.echo(f"file {file_id} has no bytes: {action}")
    click.echo(
        f"{len(report.orphan_bytes_removed)} orphan blob(s) {verb}, "
        f"{len(report.orphan_bytes_kept_recent)} recent orphan blob(s) kept, "
        f"{len(report.rows_without_bytes)} row(s) without bytes, "
        f"{len(report.rows_removed)} row(s) deleted."
    )
