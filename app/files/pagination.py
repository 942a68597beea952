"""Opaque keyset cursors for the files listing: the last id seen, encoded."""

from __future__ import annotations

import base64
import binascii

from app.exceptions import InvalidField

CURSOR_PREFIX = "files:"


def encode_cursor(last_id: int) -> str:
    """Return the cursor that continues after the row with id `last_id`."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor continues after; a 422 on `cursor` when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        if text.startswith(CURSOR_PREFIX):
            last_id = int(text[len(CURSOR_PREFIX):])
            if last_id > 0:
                return last_id
    except (ValueError, binascii.Error, UnicodeError):
        pass
    raise InvalidField("cursor", "Not a cursor returned by this listing.")
