"""Changing the signed-in user's own profile: name and profile image."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.files.service import discard_blob, read_profile_image, remove_file, store_image
from app.users.models import User


def update_own_profile(*, user: User, name: str | None = None,
                       profile_image: FileStorage | None = None) -> User:
    """Change the user's name and/or profile image; `updatedBy` becomes the user.

    A new image is validated, written and committed first; only then are the old row and
    its bytes removed. A failure before the commit leaves the old image in place and no
    new bytes behind (a crash: orphan bytes, which `flask files gc` removes); a crash after
    it leaves the old image as one more ordinary file of the user, never a broken row.
    """
    image = read_profile_image(profile_image) if profile_image is not None else None
    if name is None and image is None:
        return user
    stored = store_image(image, profile_image.filename) if image is not None else None
    try:
        # A locking read sees the latest committed image and makes a concurrent PATCH of
        # the same account wait, so two requests never both claim the same old image.
        old_image_id = db.session.scalar(
            select(User.profile_image_id).where(User.id == user.id).with_for_update())
        if name is not None:
            user.name = name
        if stored is not None:
            stored.owner_id = user.id
            db.session.add(stored)
            user.profile_image = stored
        user.updated_by = user.id
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard_blob(stored)
        raise
    if stored is not None and old_image_id is not None:
        remove_file(old_image_id)
    return user
