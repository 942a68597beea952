"""Storing blobs and their `files` rows so that neither outlives the other."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import uuid

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app.exceptions import InvalidField
from app.files.images import CleanImage, InvalidImage, sanitize_image
from app.files.models import File
from app.storage import current_storage, storage_key

MAX_NAME_LENGTH = 255
log = logging.getLogger(__name__)


def upload_size(upload: FileStorage) -> int:
    """Return the size of an uploaded file without reading it into memory."""
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def clean_original_name(client_name: str | None, fallback_extension: str) -> str:
    """Sanitise the client's file name for display: no path, bounded length."""
    name = secure_filename(client_name or "") or f"upload{fallback_extension}"
    if len(name) > MAX_NAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:16]
        name = stem[: MAX_NAME_LENGTH - len(extension)] + extension
    return name


def read_profile_image(upload: FileStorage, field: str = "profile_image") -> CleanImage:
    """Validate an uploaded profile image and return it re-encoded without metadata."""
    limit = current_app.config["PROFILE_IMAGE_MAX_BYTES"]
    if upload_size(upload) > limit:
        raise InvalidField(field, f"The image is larger than {limit} bytes.", status=413)
    try:
        return sanitize_image(
            upload.stream, max_pixels=current_app.config["PROFILE_IMAGE_MAX_PIXELS"]
        )
    except InvalidImage as error:
        raise InvalidField(field, str(error)) from None


def store_image(image: CleanImage, client_name: str | None) -> File:
    """Write the image bytes to storage and return its (not yet added) `files` row.

    The caller owns the transaction and must call `discard_blob` if it does not commit.
    """
    stored_name = f"{uuid.uuid4().hex}{image.extension}"
    key = storage_key(stored_name)
    size = current_storage().save(io.BytesIO(image.data), key)
    return File(
        path=key,
        type=image.mime_type,
        original_name=clean_original_name(client_name, image.extension),
        modified_name=stored_name,
        size=size,
        checksum=hashlib.sha256(image.data).hexdigest(),
    )


def discard_blob(file: File | None) -> None:
    """Remove the bytes of a row that was never committed; never raises."""
    if file is None:
        return
    try:
        current_storage().delete(file.path)
    except Exception:
        log.exception("could not remove uncommitted blob %s", file.path)
