"""Changing your password while signed in."""

from __future__ import annotations

from app.audit import record_event
from app.transactions import retried, transaction
from app.users.models import User
from app.users.notices import notify_password_changed
from app.users.passwords import (
    check_current_password,
    check_password_policy,
    hash_password,
)


@retried
def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Set a new password; every token issued before stops working."""
    check_current_password(user, current_password)
    check_password_policy(new_password, email=user.email, field="new_password")
    password_hash = hash_password(new_password)
    with transaction():
        user.password_hash = password_hash
        # An SQL increment, so two concurrent changes both invalidate what came before.
        user.token_version = User.token_version + 1
        user.updated_by = user.id
        notify_password_changed(user)
        record_event("auth.password_changed", actor_id=user.id, subject_id=user.id)
