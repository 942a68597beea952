"""Find and repair what a crash can leave between the storage and the `files` table."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.files.models import File
from app.files.service import remove_file
from app.storage import current_storage

# Keys the service writes ("ab/cd/<uuid><ext>") and interrupted local writes beside them.
LAYOUT_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[^/]+$")
log = logging.getLogger(__name__)


@dataclass
class GcReport:
    """What a garbage collection found and did; keys and ids, never file contents."""

    orphan_bytes_removed: list[str] = field(default_factory=list)
    orphan_bytes_kept_recent: list[str] = field(default_factory=list)
    rows_without_bytes: list[int] = field(default_factory=list)
    rows_removed: list[int] = field(default_factory=list)


def collect_garbage(*, grace: timedelta, dry_run: bool = False,
                    delete_missing_rows: bool = False) -> GcReport:
    """Remove bytes no row points at (older than `grace`); report rows whose bytes are gone.

    Rows without bytes are only reported unless `delete_missing_rows`: a mis-mounted
    upload folder or a wrong bucket looks exactly like lost bytes, and deleting every
    row then would turn a configuration slip into data loss.
    """
    report = GcReport()
    storage = current_storage()
    # Rows first, blobs second: bytes written after the row query show up as orphans,
    # which the grace period and the re-check below protect.
    known = {path: file_id for file_id, path in db.session.execute(
        select(File.id, File.path))}
    db.session.rollback()  # do not hold a transaction open while listing storage
    seen: set[str] = set()
    cutoff = datetime.now(UTC) - grace  # sub-second: utcnow() drops the fraction
    for blob in storage.list_blobs():
        if not LAYOUT_KEY.match(blob.key):
            continue
        seen.add(blob.key)
        if blob.key in known:
            continue
        if _as_aware(blob.modified_at) > cutoff:
            report.orphan_bytes_kept_recent.append(blob.key)
            continue
        if _row_for(blob.key) is not None:  # committed while we were listing
            continue
        report.orphan_bytes_removed.append(blob.key)
        if not dry_run:
            storage.delete(blob.key)
    for path, file_id in known.items():
        if path in seen or storage.exists(path):
            continue
        file = db.session.get(File, file_id)
        if file is None:  # deleted while we were listing: its bytes went with it
            continue
        report.rows_without_bytes.append(file_id)
        if delete_missing_rows and not dry_run:
            remove_file(file_id)
            report.rows_removed.append(file_id)
    db.session.rollback()
    return report


def _row_for(key: str) -> int | None:
    return db.session.scalar(select(File.id).where(File.path == key))


def _as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
