"""Read back what the `file` backend wrote: the development inbox behind /dev/mail."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

# The file backend names each message by a UUID's hex: anything else is not ours to read.
MESSAGE_NAME = re.compile(r"[0-9a-f]{32}")
# A development inbox shows the newest messages; older ones stay on disk.
INBOX_LIMIT = 200


@dataclass(frozen=True)
class StoredMessage:
    """One message as a mail client lists and opens it."""

    name: str
    to: str
    subject: str
    date: str
    text: str
    html: str


def _parse(path: Path) -> StoredMessage:
    with path.open("rb") as handle:
        message: EmailMessage = email.message_from_binary_file(handle, policy=policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    date = message["Date"]
    return StoredMessage(
        name=path.stem, to=str(message["To"] or ""), subject=str(message["Subject"] or ""),
        date=parsedate_to_datetime(date).isoformat(timespec="seconds") if date else "",
        text=text.get_content() if text else "", html=html.get_content() if html else "")


def list_messages(directory: str) -> list[StoredMessage]:
    """The newest messages of MAIL_FILE_DIR first (at most INBOX_LIMIT)."""
    paths = [path for path in Path(directory).glob("*.eml")
             if MESSAGE_NAME.fullmatch(path.stem)]
    paths.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    return [_parse(path) for path in paths[:INBOX_LIMIT]]


def read_message(directory: str, name: str) -> StoredMessage | None:
    """The message called `name`, or None when there is no such message."""
    if not MESSAGE_NAME.fullmatch(name):
        return None
    path = Path(directory) / f"{name}.eml"
    return _parse(path) if path.is_file() else None
