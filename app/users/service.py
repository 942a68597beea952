"""User business rules: creating accounts atomically and deciding who sees whom."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.audit import record_event
from app.db_types import utcnow
from app.exceptions import EmailTaken, NotFound
from app.extensions import db
from app.files.models import File
from app.files.service import discard_blob
from app.transactions import transaction
from app.users.models import Role, User
from app.users.passwords import check_password_policy, hash_password
from app.users.profile import read_profile_image, store_image
from app.users.quota import charge_storage


def normalize_email(email: str) -> str:
    """Emails are compared and stored lower-cased."""
    return email.strip().lower()


def email_taken(email: str) -> bool:
    """True when an account already uses `email` (already normalised)."""
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def create_user(*, name: str, email: str, password: str, role: Role = Role.USER,
                profile_image: FileStorage | None = None,
                created_by: User | None = None, self_registered: bool = False,
                email_verified: bool = False,
                before_commit: Callable[[User], None] | None = None) -> User:
    """Create an account with its optional profile image, all or nothing.

    Either the user row, the file row and the stored bytes all exist afterwards, or none
    of them does: a lost race on the email, a refused insert or a storage failure leave
    nothing behind. `before_commit(user)` adds what belongs to the same transaction (the
    caller's outbox message, say) once the user has an id.
    """
    email = normalize_email(email)
    check_password_policy(password, email=email)
    if email_taken(email):
        raise EmailTaken()  # cheap early answer; the unique index still decides races
    image = read_profile_image(profile_image) if profile_image is not None else None
    password_hash = hash_password(password)

    stored = store_image(image, profile_image.filename) if image is not None else None
    try:
        with transaction(on_failure=partial(discard_blob, stored)):
            user = User(name=name, email=email, password_hash=password_hash, role=role,
                        profile_image=stored)
            db.session.add(user)
            db.session.flush()
            author_id = user.id if self_registered else (created_by.id if created_by else None)
            user.created_by = user.updated_by = author_id
            if stored is not None:
                stored.owner_id = user.id
                charge_storage(user, stored.size)
            if created_by is not None:
                record_event("admin.user_created", actor_id=created_by.id,
                             subject_id=user.id, details={"role": role.value})
            elif self_registered:
                record_event("auth.registered", actor_id=user.id, subject_id=user.id)
            if email_verified:
                user.email_verified_at = utcnow()
            if before_commit is not None:
                before_commit(user)
    except IntegrityError:
        if email_taken(email):
            raise EmailTaken() from None
        raise
    return user


def get_user_for(viewer: User, user_id: int) -> User:
    """Return user `user_id` if `viewer` may see it (an admin, or the user itself)."""
    if not viewer.is_admin and viewer.id != user_id:
        raise NotFound("No such user.")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user



def owners_of_files(file_ids: set[int]) -> dict[int, User]:
    """Each file's owner, by file id, in one query (an admin's list naming owners)."""
    if not file_ids:
        return {}
    rows = db.session.execute(select(File.id, User).join(User, User.id == File.owner_id)
                              .where(File.id.in_(file_ids)))
    return {file_id: owner for file_id, owner in rows}
