"""A user's profile: the name and the profile image, validated, stored, shared, replaced.

The image itself is an ordinary `files` row owned by the user; what makes it special
lives here: the size and pixel budget, the metadata scrubbing, the rule that anyone
signed in may see it, and replacing it without leaving the old one or stray bytes behind.
"""

from __future__ import annotations

import io
from functools import partial

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.exceptions import InvalidField
from app.extensions import db
from app.files.models import File
from app.files.service import discard_blob, remove_file, upload_size, write_blob
from app.settings import settings
from app.transactions import transaction
from app.users.images import CleanImage, InvalidImage, sanitize_image
from app.users.models import User
from app.users.quota import charge_storage

IMAGE_FIELD = "profile_image"


def read_profile_image(upload: FileStorage) -> CleanImage:
    """Validate an uploaded profile image and return it re-encoded without metadata."""
    images = settings().images
    limit = images.max_bytes
    if upload_size(upload) > limit:
        raise InvalidField(IMAGE_FIELD, f"The image is larger than {limit} bytes.",
                           status=413)
    try:
        return sanitize_image(
            upload.stream, max_pixels=images.max_pixels, max_frames=images.max_frames,
            max_total_pixels=images.max_total_pixels, max_scans=images.max_scans,
            decode_seconds=images.decode_seconds,
        )
    except InvalidImage as error:
        raise InvalidField(IMAGE_FIELD, str(error)) from None


def store_image(image: CleanImage, client_name: str | None) -> File:
    """Write a sanitised image to storage and return its (not yet added) `files` row."""
    return write_blob(io.BytesIO(image.data), mime_type=image.mime_type,
                      client_name=client_name)


def is_profile_image(file_id: int) -> bool:
    """True when some user shows this file as their profile image (anyone may see it)."""
    query = select(User.id).where(User.profile_image_id == file_id).limit(1)
    return db.session.scalar(query) is not None


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
    with transaction(on_failure=partial(discard_blob, stored)):
        # A locking read sees the latest committed image and makes a concurrent PATCH of
        # the same account wait, so two requests never both claim the same old image.
        old_image_id = db.session.scalar(
            select(User.profile_image_id).where(User.id == user.id).with_for_update())
        if name is not None:
            user.name = name
        if stored is not None:
            # The old image is given back only after this commit (remove_file below):
            # for that moment both count, so a full quota cannot be dodged by a race.
            charge_storage(user, stored.size)
            stored.owner_id = user.id
            db.session.add(stored)
            user.profile_image = stored
        user.updated_by = user.id
    if stored is not None and old_image_id is not None:
        remove_file(old_image_id)
    return user
