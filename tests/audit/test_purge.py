"""`flask audit purge` deletes expired events a batch per transaction, and only those."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.audit.models import AuditEvent
from app.audit.service import purge_expired_events
from app.settings import replace_settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def add_events(db, *ages_in_days: float, created_at: datetime | None = None) -> None:
    """Commit one event per age (days before NOW), in the order given."""
    db.session.add_all(
        AuditEvent(action="auth.login", actor_id=1, subject_id=1, details={},
                   created_at=created_at or NOW - timedelta(days=age))
        for age in ages_in_days)
    db.session.commit()


def remaining_ages(db) -> list[int]:
    db.session.rollback()
    return sorted(round((NOW - event.created_at).total_seconds() / 86400)
                  for event in db.session.scalars(db.select(AuditEvent)))


def test_purge_runs_in_batches_and_keeps_young_events(app, db):
    replace_settings(app, AUDIT_RETENTION_DAYS=30, AUDIT_PURGE_BATCH_SIZE=3)
    # Old and young interleaved, ids out of age order: a batch follows createdAt, not id.
    add_events(db, 40, 5, 400, 31, 29, 35, 90, 1, 31, 60, 33)
    batches: list[int] = []

    purged = purge_expired_events(now=NOW, on_batch=lambda count, _: batches.append(count))

    assert purged == 8
    assert batches == [3, 3, 2]  # each its own transaction; the short one ends the purge
    assert remaining_ages(db) == [1, 5, 29]


def test_a_batch_boundary_inside_equal_timestamps_loses_and_keeps_nothing(app, db):
    replace_settings(app, AUDIT_RETENTION_DAYS=30, AUDIT_PURGE_BATCH_SIZE=2)
    same = NOW - timedelta(days=45)
    add_events(db, 0, 0, 0, 0, 0, created_at=same)  # five events, one instant
    add_events(db, 2)
    batches: list[int] = []

    assert purge_expired_events(now=NOW, on_batch=lambda c, _: batches.append(c)) == 5
    assert batches == [2, 2, 1]
    assert remaining_ages(db) == [2]


def test_an_exact_multiple_ends_with_an_empty_batch(app, db):
    replace_settings(app, AUDIT_RETENTION_DAYS=30, AUDIT_PURGE_BATCH_SIZE=2)
    add_events(db, 50, 60, 70, 80, 3)
    batches: list[int] = []

    assert purge_expired_events(now=NOW, on_batch=lambda c, _: batches.append(c)) == 4
    assert batches == [2, 2, 0]
    assert remaining_ages(db) == [3]


def test_the_cli_reports_the_total_of_every_batch(app, db):
    replace_settings(app, AUDIT_RETENTION_DAYS=30, AUDIT_PURGE_BATCH_SIZE=2)
    add_events(db, *[400] * 5, 10, created_at=None)

    result = app.test_cli_runner().invoke(args=["audit", "purge"])

    assert result.exit_code == 0, result.output
    assert "Purged 5 audit event(s) older than 30 days." in result.output
    assert len(remaining_ages(db)) == 1
