"""The local-disk storage backend."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from app.exceptions import StorageUnavailable
from app.storage.base import StorageConfigError, StoredBlob

COPY_CHUNK_BYTES = 1024 * 1024
# Keys are "ab/cd/<name>": only files at this depth belong to the storage layout.
KEY_DEPTH = 3


class LocalStorage:
    """Stores each blob as a file below `root`, written atomically."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        """Return the file system path of `key`, refusing keys that leave the root."""
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    def save(self, stream: BinaryIO, key: str) -> int:
        """Copy `stream` to `key` in chunks and return the number of bytes written."""
        path = self.path_for(key)
        # Write beside the target and rename: a crash never leaves a half-written blob
        # under a real key (the `.part` file is cleaned by `flask files gc`).
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as target:
                shutil.copyfileobj(stream, target, COPY_CHUNK_BYTES)
                size = target.tell()
                target.flush()
                os.fsync(target.fileno())
            os.replace(partial, path)
        except OSError as error:
            # The folder itself may be what broke (gone, not a folder): cleaning up must
            # not replace the StorageUnavailable (503) with a raw OSError (500).
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise StorageUnavailable() from error
        return size

    def open(self, key: str) -> BinaryIO:
        """Open the blob for reading; FileNotFoundError when it is gone."""
        return open(self.path_for(key), "rb")

    def delete(self, key: str) -> None:
        """Remove the blob; a missing blob is not an error."""
        self.path_for(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """True when a blob is stored under `key`."""
        return self.path_for(key).is_file()

    def list_blobs(self) -> Iterator[StoredBlob]:
        """Yield every file of the key layout, including interrupted `.part` writes."""
        for directory, _subdirs, names in os.walk(self.root):
            relative = Path(directory).relative_to(self.root)
            if len(relative.parts) != KEY_DEPTH - 1:
                continue  # .gitkeep, probes and anything else outside the layout
            for name in names:
                try:
                    mtime = (Path(directory) / name).stat().st_mtime
                except FileNotFoundError:
                    continue  # removed while we walked
                yield StoredBlob((relative / name).as_posix(),
                                 datetime.fromtimestamp(mtime, UTC))

    def check_writable(self) -> None:
        """Raise StorageUnavailable unless a file can be created in the root."""
        probe = self.root / f".probe-{uuid.uuid4().hex}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as error:
            raise StorageUnavailable() from error

    def presigned_url(self, key: str, *, mimetype: str, disposition: str) -> None:
        """Local files have no URL of their own: always None."""
        return None

    def folder_path(self, key: str) -> str:
        """The blob's path below the upload folder (the key, checked not to leave it)."""
        return self.path_for(key).relative_to(self.root).as_posix()

    def check_startup(self) -> None:
        """Refuse to start unless the upload folder is a directory this process can use."""
        who = f"user id {os.geteuid()}" if hasattr(os, "geteuid") else "this user"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise StorageConfigError(
                f"UPLOAD_FOLDER {self.root} exists but is not a directory.") from None
        except OSError as error:
            raise StorageConfigError(
                f"UPLOAD_FOLDER {self.root} does not exist and cannot be created "
                f"({error.strerror}); create it and make it writable by {who}."
            ) from None
        if not self.root.is_dir():
            raise StorageConfigError(
                f"UPLOAD_FOLDER {self.root} exists but is not a directory.")
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise StorageConfigError(
                f"UPLOAD_FOLDER {self.root} must be readable, writable and searchable by "
                f"{who}; fix it with: chown {os.geteuid()} {self.root} && "
                f"chmod u+rwx {self.root}"
            )
