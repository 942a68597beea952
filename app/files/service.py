"""Storing blobs and their `files` rows so that neither outlives the other.

Writes go bytes first, row second (a crash leaves orphan bytes, which `flask files gc`
removes); deletes go row first, bytes second (for the same reason).
"""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
import uuid
from collections.abc import Callable
from functools import partial
from typing import BinaryIO

from flask import Flask, current_app
from sqlalchemy import bindparam, delete, select
from werkzeug.datastructures import FileStorage

from app.exceptions import Forbidden, InvalidField, NotFound, UnsupportedFileType
from app.extensions import db
from app.files.detection import PILLOW_MIME_TYPES, detect_type, extension_for, header_pixels
from app.files.models import File
from app.files.quota import Account, charge_storage, check_room, release_storage
from app.pagination import KeysetStatement
from app.settings import settings
from app.storage import current_storage, storage_key
from app.transactions import retried, transaction

MAX_NAME_LENGTH = 255
# Characters that Windows refuses in names or shells treat specially.
UNSAFE_NAME_CHARACTERS = frozenset('<>:"|?*')
SHARING_RULES_KEY = "signet.files.sharing_rules"
log = logging.getLogger(__name__)


def register_sharing_rule(app: Flask, rule: Callable[[int], bool]) -> None:
    """Let another domain share files with everyone signed in (rule(file_id) -> bool)."""
    app.extensions.setdefault(SHARING_RULES_KEY, []).append(rule)


def _shared_with_everyone(file_id: int) -> bool:
    return any(rule(file_id) for rule in current_app.extensions.get(SHARING_RULES_KEY, ()))


class _HashingReader:
    """Hashes the bytes as the storage backend reads them: one pass over the upload."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.sha256.update(data)
        return data


def upload_size(upload: FileStorage) -> int:
    """Return the size of an uploaded file without reading it into memory."""
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def clean_original_name(client_name: str | None, fallback_extension: str) -> str:
    """Sanitise the client's file name for display, keeping letters of every script."""
    # Removed: any path, control characters, leading dots; bounded to 255 characters.
    name = unicodedata.normalize("NFC", client_name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # a path names a folder, not the file
    name = "".join(
        "_" if char in UNSAFE_NAME_CHARACTERS else char
        for char in name
        if unicodedata.category(char)[0] != "C"  # control, format, surrogate, private use
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = f"upload{fallback_extension}"
    if len(name) > MAX_NAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:16]
        name = stem[: MAX_NAME_LENGTH - len(extension)] + extension
    return name


def write_blob(stream: BinaryIO, *, mime_type: str, client_name: str | None) -> File:
    """Stream bytes to storage under a new UUID name and return the (unsaved) row.

    The caller owns the transaction and must call `discard_blob` if it does not commit.
    """
    extension = extension_for(mime_type)
    stored_name = f"{uuid.uuid4().hex}{extension}"
    key = storage_key(stored_name)
    reader = _HashingReader(stream)
    size = current_storage().save(reader, key)
    return File(
        path=key,
        type=mime_type,
        original_name=clean_original_name(client_name, extension),
        modified_name=stored_name,
        size=size,
        checksum=reader.sha256.hexdigest(),
    )


def discard_blob(file: File | None) -> None:
    """Remove the bytes of a row that was never committed; never raises."""
    if file is None:
        return
    try:
        current_storage().delete(file.path)
    except Exception:
        log.exception("could not remove uncommitted blob %s", file.path)


@retried
def create_file(*, upload: FileStorage, owner: Account) -> File:
    """Store an upload whose bytes are of an allowed type, and commit its row."""
    if upload_size(upload) == 0:
        raise InvalidField("file", "The file is empty.")
    mime_type = detect_type(upload.stream)
    allowed = settings().files.allowed_types
    if mime_type not in allowed:
        raise UnsupportedFileType(
            f"Files of type {mime_type} are not accepted; allowed: {', '.join(allowed)}.")
    max_pixels = settings().images.max_pixels
    if mime_type in PILLOW_MIME_TYPES and (header_pixels(upload.stream) or 0) > max_pixels:
        # Served inline, an image is decoded by every browser that shows it: the profile
        # image's pixel budget applies (judged from the header; nothing is decoded here).
        raise InvalidField("file", f"The image is too large: at most {max_pixels} pixels.")
    check_room(owner=owner, size=upload_size(upload))  # before any byte is stored
    file = write_blob(upload.stream, mime_type=mime_type, client_name=upload.filename)
    file.owner_id = owner.id
    with transaction(on_failure=partial(discard_blob, file)):
        charge_storage(owner=owner, size=file.size)  # binding: a racing upload may have won
        db.session.add(file)
    return file


# What a listing shows (FileOut), read as plain rows: a page of File objects cost more to
# build than the query itself took.
LISTED_COLUMNS = tuple(getattr(File, name).label(name) for name in (
    "id", "original_name", "modified_name", "type", "size", "created_at"))
EVERY_FILE = KeysetStatement("ListedFile", select(*LISTED_COLUMNS), File.id)
OWN_FILES = KeysetStatement(
    "ListedFile", select(*LISTED_COLUMNS).where(File.owner_id == bindparam("owner_id")),
    File.id)


def list_files(*, viewer: Account, limit: int, cursor: int | None = None) -> dict:
    """One page of the viewer's files (an admin's: everyone's), newest first."""
    if viewer.is_admin:
        return EVERY_FILE.page(limit=limit, after=cursor)
    return OWN_FILES.page(limit=limit, after=cursor, owner_id=viewer.id)


def get_file_for(*, viewer: Account, file_id: int) -> File:
    """Return the file if `viewer` may read it: owner, admin, or anyone when a registered
    sharing rule says so (a profile image).

    Another user's private file is answered exactly like a missing one.
    """
    file = db.session.get(File, file_id)
    if file is None or not (
        viewer.is_admin or file.owner_id == viewer.id or _shared_with_everyone(file.id)
    ):
        raise NotFound("No such file.")
    return file


@retried
def delete_file_for(*, viewer: Account, file_id: int) -> None:
    """Delete a file the viewer owns (an admin: any file), row and bytes."""
    file = get_file_for(viewer=viewer, file_id=file_id)
    if not (viewer.is_admin or file.owner_id == viewer.id):
        # The viewer can see this profile image, so hiding it behind a 404 would lie.
        raise Forbidden("Only the owner or an admin can delete this file.")
    remove_file(file.id)


def remove_file(file_id: int) -> None:
    """Delete a file's row, then its bytes.

    Rows that point at the file (a user's profile image) are cleared by their foreign
    keys' ON DELETE SET NULL (SQLite enforces it through the pragma set in `app`).
    """
    row = db.session.execute(select(File.path, File.owner_id, File.size)
                             .where(File.id == file_id)).first()
    if row is None:
        return  # a concurrent request removed it first
    key, owner_id, size = row
    with transaction():
        # ON DELETE SET NULL clears the profile image of users showing this file, out of
        # the ORM's sight: naming them lets their cached rows be invalidated at commit
        # (app/tokens/user_cache.py). The table by name: files does not import users.
        users = db.metadata.tables["users"]
        showing = list(db.session.scalars(
            select(users.c.id).where(users.c.profileImageId == file_id).with_for_update()))
        # A bulk delete matches 0 rows, rather than failing, if the row went meanwhile;
        # only the request that really deleted it gives the bytes back to the owner.
        deleted = db.session.execute(delete(File).where(File.id == file_id),
                                     execution_options={"changed_user_ids": showing})
        if deleted.rowcount == 1:
            release_storage(owner_id=owner_id, size=size)
    try:
        current_storage().delete(key)
    except Exception:
        # The row is gone, so nobody can reach these bytes; gc removes them later.
        log.exception("could not remove the bytes of deleted file %s", key)


def owned_files(owner_id: int) -> list[File]:
    """Every file row `owner_id` owns, oldest first (for the account export)."""
    return list(db.session.scalars(
        select(File).where(File.owner_id == owner_id).order_by(File.id)))


def delete_rows_owned_by(owner_id: int) -> list[str]:
    """Delete the rows of every file `owner_id` owns, in the caller's transaction.

    Returns their storage keys: the caller removes the bytes with `remove_blobs` once it
    has committed. Bytes a crash leaves behind have no row, so `flask files gc` takes them.
    """
    keys = list(db.session.scalars(select(File.path).where(File.owner_id == owner_id)))
    # A profile image among them is cleared by its foreign key (ON DELETE SET NULL).
    db.session.execute(delete(File).where(File.owner_id == owner_id))
    return keys


def remove_blobs(keys: list[str]) -> None:
    """Delete the bytes of rows already deleted; what fails is left to `flask files gc`."""
    storage = current_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:
            log.exception("could not remove the bytes of deleted file %s", key)
