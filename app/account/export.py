"""The account export: a ZIP of `account.json` and `files/`, streamed as it is written.

Nothing holds the archive: `zipfile` writes into a sink that the response generator
drains after every chunk read from storage, so a worker's memory grows by about one
chunk whatever the size of the user's files. The database is read before the first byte
is sent (so its errors are still proper answers) and the transaction is ended before the
stream starts, so a slow download holds no database connection.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventOut
from app.audit.service import events_about
from app.extensions import db
from app.federation.schemas import IdentityOut
from app.federation.service import list_identities
from app.files.models import File
from app.files.schemas import FileOut
from app.files.service import owned_files
from app.sessions.schemas import SessionOut
from app.sessions.service import list_sessions
from app.storage import Storage, current_storage
from app.tokens.personal_tokens import list_tokens
from app.tokens.schemas import PersonalTokenOut
from app.users.models import User
from app.users.schemas import UserOut

CHUNK_BYTES = 1024 * 1024
ACCOUNT_JSON = "account.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountExport:
    """What the route sends: a download name and the archive's bytes, chunk by chunk."""

    filename: str
    chunks: Iterator[bytes]


def _user_section(user: User, files: list[File]) -> Any:
    return UserOut().dump(user)


def _files_section(user: User, files: list[File]) -> Any:
    return [{**FileOut().dump(file), "archivePath": _archive_path(file)} for file in files]


def _audit_section(user: User, files: list[File]) -> Any:
    query = events_about(user.id).order_by(AuditEvent.id)
    return AuditEventOut(many=True).dump(db.session.scalars(query))


def _sessions_section(user: User, files: list[File]) -> Any:
    return SessionOut(many=True, exclude=("current",)).dump(list_sessions(user_id=user.id))


def _tokens_section(user: User, files: list[File]) -> Any:
    # Metadata only: the secrets exist nowhere but in their holders' hands.
    return PersonalTokenOut(many=True).dump(list_tokens(user=user))


def _identities_section(user: User, files: list[File]) -> Any:
    return IdentityOut(many=True).dump(list_identities(user=user))


# One function per part of account.json.
SECTIONS: dict[str, Callable[[User, list[File]], Any]] = {
    "user": _user_section,
    "files": _files_section,
    "sessions": _sessions_section,
    "personalTokens": _tokens_section,
    "identities": _identities_section,
    "auditEvents": _audit_section,
}


def export_account(*, user: User) -> AccountExport:
    """Read what the archive holds about `user` and return it as a lazy ZIP stream."""
    files = owned_files(user.id)
    account = {"exportedAt": datetime.now(UTC).isoformat(timespec="seconds")}
    account |= {name: build(user, files) for name, build in SECTIONS.items()}
    entries = [(file.id, file.path, _archive_path(file), file.size, file.created_at)
               for file in files]
    filename = f"signet-export-{user.id}-{datetime.now(UTC):%Y%m%d}.zip"
    db.session.rollback()  # the stream may be slow: hold no transaction while it runs
    return AccountExport(filename, _non_empty(_archive(current_storage(), entries, account)))


def _archive_path(file: File) -> str:
    # The id keeps names unique; original names hold no slash (clean_original_name).
    return f"files/{file.id}-{file.original_name}"


class _Sink(io.RawIOBase):
    """A write-only, unseekable file that keeps what is written until it is drained."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _non_empty(chunks: Iterator[bytes]) -> Iterator[bytes]:
    # Closing the response (a client gone mid-download) closes the archive and its files.
    with closing(chunks):
        for chunk in chunks:
            if chunk:
                yield chunk


def _archive(storage: Storage, entries: list[tuple], account: dict) -> Iterator[bytes]:
    sink = _Sink()
    missing: list[int] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for file_id, key, name, size, created_at in entries:
            try:
                source = storage.open(key)
            except FileNotFoundError:
                log.warning("export: the bytes of file %s are missing (%s)", file_id, key)
                missing.append(file_id)
                continue
            info = zipfile.ZipInfo(name, date_time=created_at.timetuple()[:6])
            info.file_size = size  # lets zipfile choose ZIP64 for files over 2 GiB
            with closing(source), archive.open(info, "w") as target:
                while chunk := source.read(CHUNK_BYTES):
                    target.write(chunk)
                    yield sink.drain()
            yield sink.drain()
        account["missingFiles"] = missing
        info = zipfile.ZipInfo(ACCOUNT_JSON, date_time=datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(account, indent=2, ensure_ascii=False))
        yield sink.drain()
    yield sink.drain()  # the central directory, written on close
