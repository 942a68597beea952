"""Seeding for bench/scale_data.py: users, files and audit events, server-side, in bulk.

Every table is filled by INSERT ... SELECT from MariaDB's Sequence engine (seq_1_to_N), a
chunk per statement, so a million rows never cross the wire. Ids are the sequence numbers;
each part is seeded only when missing, so a kept database (--keep) is filled once and a
purged one gets back only its old events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

PASSWORD = "bench password"  # noqa: S105 - throw-away accounts in a throw-away database
RETENTION_DAYS = 365
BCRYPT_ROUNDS = 4  # the sign-in case measures the database, not bcrypt
CHUNK = 250_000
FIRST_NAMES = ("Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace",
               "Hedy", "Ivan", "John", "Katherine", "Linus", "Margaret", "Niklaus", "Radia",
               "Shafi", "Tim", "Whitfield", "Yukihiro")
ACTIONS = ("auth.login", "auth.logout", "auth.login_failed", "auth.password_changed",
           "admin.user_updated", "auth.email_verified", "auth.refresh_reuse", "auth.login")
ADMIN_ID, BIG_OWNER_ID = 1, 2  # user 1 is an admin; user 2 owns every tenth file
EVERY_ADMIN = 1000  # users 1, 1001, 2001, ... are admins, and the 25 first users
ACTOR_EVERY = 7  # the admin is the actor of one event in seven


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind; `old_audit` of the `audit` events are past retention."""

    users: int
    files: int
    big_owner_files: int
    audit: int
    old_audit: int

    @property
    def file_stride(self) -> int:
        """The big owner's files are every `file_stride`-th id, spread over the table."""
        return max(1, self.files // max(1, self.big_owner_files))


def email(n: int) -> str:
    """The email of seeded user `n`."""
    return f"user{n:07d}@example.com"


def seed(url: str, sizes: Sizes, password_hash: str, *, now: datetime) -> float:
    """Fill what is missing at `url` (already migrated); return the seconds it took."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            # Rows are written in id order into empty ranges: no point checking each one.
            conn.execute(sa.text("SET SESSION foreign_key_checks = 0, unique_checks = 0"))
            _seed_users(conn, sizes, password_hash, now)
            _seed_files(conn, sizes, now)
            _seed_audit(conn, sizes, now)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _missing(conn, table: str, low: int, high: int) -> bool:
    """True when no row of ids low..high exists; error when only some do."""
    if high < low:
        return False
    count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE id BETWEEN :a AND :b"),  # noqa: S608
                         {"a": low, "b": high}).scalar_one()
    if 0 < count < high - low + 1:
        raise SystemExit(f"{table} ids {low}..{high} are partly seeded: drop the database")
    return count == 0


def _chunks(conn, label: str, low: int, high: int, statement: str, params: dict) -> None:
    started = time.perf_counter()
    for start in range(low, high + 1, CHUNK):
        end = min(start + CHUNK - 1, high)
        conn.execute(sa.text(statement.replace("SEQ", f"seq_{start}_to_{end}")), params)
    print(f"  seeded {high - low + 1:>10,} {label} in {time.perf_counter() - started:6.1f}s",
          flush=True)


def _seed_users(conn, sizes: Sizes, password_hash: str, now: datetime) -> None:
    if not _missing(conn, "users", 1, sizes.users):
        return
    names = ", ".join(f"'{name}'" for name in FIRST_NAMES)
    _chunks(conn, "users", 1, sizes.users, f"""
        INSERT INTO users (id, name, email, password, isActive, role, tokenVersion,
                           mfaEnabled, storageUsed, emailVerifiedAt, createdAt, updatedAt)
        SELECT seq, CONCAT(ELT(1 + seq % {len(FIRST_NAMES)}, {names}), ' ', LPAD(seq, 7, '0')),
               CONCAT('user', LPAD(seq, 7, '0'), '@example.com'), :hash,
               seq % 10 <> 0, IF(seq % {EVERY_ADMIN} = 1 OR seq <= 25, 'admin', 'user'),
               0, 0, 0, :now, :now, :now
        FROM SEQ""", {"hash": password_hash, "now": now})  # noqa: S608 - constants only


def _seed_files(conn, sizes: Sizes, now: datetime) -> None:
    if not _missing(conn, "files", 1, sizes.files):
        return
    stride, others = sizes.file_stride, max(1, sizes.users - BIG_OWNER_ID)
    _chunks(conn, "files", 1, sizes.files, f"""
        INSERT INTO files (id, path, type, originalName, modifiedName, size, checksum,
                           ownerId, createdAt)
        SELECT seq, CONCAT('bench/', seq, '.txt'), 'text/plain', CONCAT('note ', seq, '.txt'),
               CONCAT(seq, '.txt'), 10, REPEAT('0', 64),
               IF(seq % {stride} = 0, {BIG_OWNER_ID}, {BIG_OWNER_ID} + 1 + seq % {others}),
               :now
        FROM SEQ""", {"now": now})  # noqa: S608 - constants only


def _seed_audit(conn, sizes: Sizes, now: datetime) -> None:
    """Old events (ids 1..old_audit) a second apart, ending a day past the retention;
    young ones after them, a second apart, ending now."""
    actions = ", ".join(f"'{action}'" for action in ACTIONS)
    columns = f"""
        INSERT INTO audit_events (id, action, actorId, subjectId, ip, requestId, details,
                                  createdAt)
        SELECT seq, ELT(1 + seq % {len(ACTIONS)}, {actions}),
               IF(seq % {ACTOR_EVERY} = 0, {ADMIN_ID}, 1 + seq % {sizes.users}),
               1 + seq % {sizes.users}, '127.0.0.1', NULL, '{{}}',"""
    old_end = now - timedelta(days=RETENTION_DAYS + 1)
    if _missing(conn, "audit_events", 1, sizes.old_audit):
        _chunks(conn, "old audit events", 1, sizes.old_audit, columns + """
               :end - INTERVAL (:last - seq) SECOND FROM SEQ""",
                {"end": old_end, "last": sizes.old_audit})
    if _missing(conn, "audit_events", sizes.old_audit + 1, sizes.audit):
        _chunks(conn, "young audit events", sizes.old_audit + 1, sizes.audit, columns + """
               :end - INTERVAL (:last - seq) SECOND FROM SEQ""",
                {"end": now, "last": sizes.audit})
    # AUTO_INCREMENT moves past explicit ids by itself; events the app adds come after.


def seeded_now() -> datetime:
    """The instant seeding counts from (whole seconds, UTC)."""
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)
