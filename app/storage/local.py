"""The local-disk storage backend."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

from app.exceptions import StorageUnavailable

COPY_CHUNK_BYTES = 1024 * 1024


class Storage(Protocol):
    """What every backend offers; keys are relative, slash-separated names."""

    def save(self, stream: BinaryIO, key: str) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def check_writable(self) -> None: ...


class LocalStorage:
    """Stores each blob as a file below `root`, written atomically."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    def save(self, stream: BinaryIO, key: str) -> int:
        """Copy `stream` to `key` in chunks and return the number of bytes written."""
        path = self._path(key)
        # Write beside the target and rename: a crash never leaves a half-written blob
        # under a real key.
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as target:
                shutil.copyfileobj(stream, target, COPY_CHUNK_BYTES)
                size = target.tell()
            os.replace(partial, path)
        except OSError as error:
            # The folder itself may be what broke (gone, not a folder): cleaning up must
            # not replace the StorageUnavailable (503) with a raw OSError (500).
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise StorageUnavailable() from error
        return size

    def open(self, key: str) -> BinaryIO:
        """Open the blob for reading."""
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        """Remove the blob; a missing blob is not an error."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """True when a blob is stored under `key`."""
        return self._path(key).is_file()

    def check_writable(self) -> None:
        """Raise StorageUnavailable unless a file can be created in the root."""
        probe = self.root / f".probe-{uuid.uuid4().hex}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as error:
            raise StorageUnavailable() from error
