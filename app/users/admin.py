"""Admin workflows on accounts: listing, editing and deactivating, each change audited.

The one invariant here is that the service always keeps an active admin. It is checked
under row locks on the active admins (SELECT ... FOR UPDATE on MySQL), so two admins
demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from sqlalchemy import select

from app.audit import record_event
from app.exceptions import LastActiveAdmin, NotFound
from app.extensions import db
from app.pagination import keyset_page
from app.transactions import take_sqlite_write_lock, transaction
from app.users.models import Role, User
from app.users.search import search_users


def list_users(*, limit: int, cursor: int | None = None, role: Role | None = None,
               is_active: bool | None = None, q: str | None = None) -> dict:
    """Return one page of users, newest first, filtered by role, activity and prefix."""
    filters = []
    if role is not None:
        filters.append(User.role == role)
    if is_active is not None:
        # `= 0`, not `IS FALSE`: MariaDB uses no index for IS, and scanned the table by id.
        filters.append(User.is_active == is_active)
    if q:
        return search_users(q, filters, limit=limit, after=cursor)
    return keyset_page(select(User).where(*filters), User.id, limit=limit, after=cursor)


def update_user(*, admin: User, user_id: int, name: str | None = None,
                role: Role | None = None, is_active: bool | None = None) -> User:
    """Change a user's name, role or activity as `admin`; updatedBy becomes the admin."""
    may_remove_admin = (role is not None and role != Role.ADMIN) or is_active is False
    with transaction():
        user = lock_user_for_change(user_id, may_remove_admin=may_remove_admin)
        changes = _apply(user, name=name, role=role, is_active=is_active)
        if changes:
            user.updated_by = admin.id
            record_event("admin.user_updated", actor_id=admin.id, subject_id=user.id,
                         details={"changes": changes})
    return user


def deactivate_user(*, admin: User, user_id: int) -> None:
    """Soft-delete: deactivate the account and refuse its tokens; its data is kept."""
    update_user(admin=admin, user_id=user_id, is_active=False)


def lock_user_for_change(user_id: int, *, may_remove_admin: bool) -> User:
    """Lock user `user_id` in the caller's transaction and return it.

    When the change may take an active admin away (demotion, deactivation, deletion), the
    active admins are locked first and LastActiveAdmin is raised if this is the only one.
    """
    # Lock the admins first and the target second, always in this order (no deadlock).
    if may_remove_admin:
        take_sqlite_write_lock()
    active_admins = _lock_active_admin_ids() if may_remove_admin else []
    user = _lock_user(user_id)
    loses_admin = user.is_admin and user.is_active and may_remove_admin
    if loses_admin and active_admins == [user.id]:
        raise LastActiveAdmin()
    return user


def _lock_active_admin_ids() -> list[int]:
    query = (select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True))
             .order_by(User.id).with_for_update())
    return list(db.session.scalars(query))


def _lock_user(user_id: int) -> User:
    query = (select(User).where(User.id == user_id).with_for_update()
             .execution_options(populate_existing=True))
    user = db.session.scalar(query)
    if user is None:
        raise NotFound("No such user.")
    return user


def _apply(user: User, *, name: str | None, role: Role | None,
           is_active: bool | None) -> dict[str, list]:
    """Set the fields that differ; return {field: [old, new]} for the audit log."""
    changes: dict[str, list] = {}
    if name is not None and name != user.name:
        changes["name"] = [user.name, name]
        user.name = name
    if role is not None and role != user.role:
        changes["role"] = [user.role.value, role.value]
        user.role = role
    if is_active is not None and is_active != user.is_active:
        changes["isActive"] = [user.is_active, is_active]
        user.is_active = is_active
        if not is_active:
            # Tokens issued before a deactivation must not come back if it is undone.
            user.token_version = User.token_version + 1
    return changes
