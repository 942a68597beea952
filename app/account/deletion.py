"""Leaving: deleting your own account with everything it owns.

Personal access tokens must never reach this (nor the export): the endpoints declare no
token scope, which refuses such tokens (see issue 10's scope decisions).
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from app.audit import record_event
from app.extensions import db
from app.files.service import delete_rows_owned_by, remove_blobs
from app.transactions import retried, transaction
from app.users.admin import lock_user_for_change
from app.users.models import User
from app.users.reauth import require_recent_sign_in


@retried
def delete_account(*, user: User, current_password: str | None = None) -> None:
    """Delete the account, its sessions, tokens and files: rows at once, then bytes.

    One transaction removes the rows: the user (sessions and personal tokens go with it,
    ON DELETE CASCADE), the files it owns, and its name in others' createdBy/updatedBy
    (ON DELETE SET NULL); linked identities go with the user too. An account without a
    password (provider sign-in) proves a recent sign-in instead. The bytes are deleted
    after the commit; those a crash leaves behind belong to no row, which is what
    `flask files gc` removes.
    """
    require_recent_sign_in(user, current_password)
    user_id = user.id
    with transaction():
        # Locks the active admins first: the last one cannot leave (409), even when two
        # admins delete themselves at the same moment.
        lock_user_for_change(user_id, may_remove_admin=True)
        keys = delete_rows_owned_by(user_id)
        record_event("account.deleted", actor_id=user_id, subject_id=user_id,
                     details={"files": len(keys)})
        # Others whose createdBy/updatedBy name the user become null (ON DELETE SET NULL):
        # the user cache (app.tokens.user_cache) must forget them as well as the user.
        changed = {user_id, *db.session.scalars(select(User.id).where(
            or_(User.created_by == user_id, User.updated_by == user_id)))}
        db.session.execute(delete(User).where(User.id == user_id)
                           .execution_options(changed_user_ids=changed))
    remove_blobs(keys)
