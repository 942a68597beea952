"""The per-user storage quota, kept on `users.storageUsed` (registered with app.files.quota).

Usage only ever changes by an SQL increment in the transaction that adds or removes the
file row, so the counter and the rows agree after every commit or rollback. The quota
check and the increment are one conditional UPDATE: of two uploads racing for the last
bytes, the database lets exactly one through (MariaDB locks the row until the commit;
SQLite has one writer at a time).
"""

from __future__ import annotations

from sqlalchemy import case, select, update

from app.exceptions import QuotaExceeded
from app.extensions import db
from app.files.quota import StorageAccount
from app.settings import settings
from app.users.models import User


def storage_quota(user: User) -> int | None:
    """The user's quota in bytes; None when unlimited (admins, or a quota of 0)."""
    quota = settings().files.user_quota_bytes
    if quota <= 0 or user.is_admin:
        return None
    return quota


def check_room(user: User, size: int) -> None:
    """Refuse early, before any byte is stored, an upload that cannot fit (not binding)."""
    quota = storage_quota(user)
    if quota is None:
        return
    used = db.session.scalar(select(User.storage_used).where(User.id == user.id)) or 0
    if used + size > quota:
        raise _exceeded(quota, used)


def charge_storage(user: User, size: int) -> None:
    """Add `size` bytes to the user's usage in the caller's transaction, or raise 413.

    The caller commits (or rolls back, undoing the charge).
    """
    quota = storage_quota(user)
    # changed_user_ids: the user cache (app/tokens/user_cache.py) drops this row at commit.
    statement = (update(User).where(User.id == user.id)
                 .values(storage_used=User.storage_used + size)
                 .execution_options(synchronize_session=False, changed_user_ids=[user.id]))
    if quota is not None:
        statement = statement.where(User.storage_used + size <= quota)
    if db.session.execute(statement).rowcount != 1:
        used = db.session.scalar(select(User.storage_used).where(User.id == user.id)) or 0
        raise _exceeded(quota or 0, used)


def release_storage(owner_id: int, size: int) -> None:
    """Take `size` bytes off the owner's usage in the caller's transaction (never below 0)."""
    db.session.execute(
        update(User).where(User.id == owner_id)
        .values(storage_used=case((User.storage_used > size, User.storage_used - size),
                                  else_=0))
        .execution_options(synchronize_session=False, changed_user_ids=[owner_id]))


def _exceeded(quota: int, used: int) -> QuotaExceeded:
    return QuotaExceeded(f"This upload would exceed your storage quota of {quota} bytes "
                         f"({used} bytes used); delete files to make room.")


STORAGE_ACCOUNT = StorageAccount(check_room=check_room, charge=charge_storage,
                                 release=release_storage)
