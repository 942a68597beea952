"""The storage interface every backend implements, and what it may raise.

Keys are relative, slash-separated names built by the service from UUIDs ("ab/cd/<name>");
the client's file name never reaches a backend. Backends import from here, never from each
other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from app.settings import ConfigError


class StorageConfigError(ConfigError):
    """The storage cannot be used as configured; the message says how to fix it."""


@dataclass(frozen=True)
class StoredBlob:
    """One stored object as a listing sees it (used by `flask files gc`)."""

    key: str
    modified_at: datetime


class Storage(Protocol):
    """What every backend offers. Any method may raise `app.exceptions.StorageUnavailable`
    when the backend cannot be reached (answered as 503)."""

    def save(self, stream: BinaryIO, key: str) -> int:
        """Copy `stream` to `key`, all or nothing, and return the number of bytes stored."""

    def open(self, key: str) -> BinaryIO:
        """Open the blob for streamed, seekable reading; FileNotFoundError when it is gone."""

    def delete(self, key: str) -> None:
        """Remove the blob; a missing blob is not an error."""

    def exists(self, key: str) -> bool:
        """True when a blob is stored under `key`."""

    def list_blobs(self) -> Iterator[StoredBlob]:
        """Yield every blob of the key layout with its last-modified time."""

    def check_writable(self) -> None:
        """Raise StorageUnavailable unless a blob can be written and removed now."""

    def presigned_url(self, key: str, *, mimetype: str, disposition: str) -> str | None:
        """A short-lived URL that serves the blob with these headers, or None when the
        backend cannot hand out such URLs (an optional capability: S3 has it)."""

    def folder_path(self, key: str) -> str | None:
        """The blob's path below the backend's folder, for a front proxy that serves that
        folder itself (X-Accel-Redirect), or None when the bytes are in no folder (an
        optional capability: local storage has it)."""
