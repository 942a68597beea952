"""Where a browser may be sent after a form or a sign-in: a path on this site only."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2048


def safe_next_path(value: str | None) -> str | None:
    """Return `value` if it is a path on this site, else None.

    Refused: absolute URLs, protocol-relative `//host`, backslashes (browsers read
    `/\\host` as `//host`), control characters and anything with a scheme or host.
    """
    if not value or len(value) > MAX_NEXT_LENGTH:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
