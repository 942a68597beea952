"""Development conveniences: per-checkout secrets, and where a local server listens."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from app.settings.base import INSTANCE_DIR

# Binds a browser on this machine reaches as `localhost`: WebAuthn refuses an IP address
# as the relying party id, so passkeys work at http://localhost:8000 and not at 127.0.0.1.
LOCAL_BIND_HOSTS = frozenset({"127.0.0.1", "0.0.0.0", "::", "::1", "localhost"})  # noqa: S104


def listening_url(host: str | None, port: str | int | None) -> str:
    """Return the address a browser on this machine opens for gunicorn's HOST and PORT."""
    host = host or "127.0.0.1"
    name = "localhost" if host in LOCAL_BIND_HOSTS else (f"[{host}]" if ":" in host else host)
    return f"http://{name}:{port or 8000}"


def base_url_warning(base_url: str, host: str | None, port: str | int | None) -> str | None:
    """Say why mailed links would miss a development server, or None when they reach it.

    Only a base URL on this machine is judged: one naming another host is taken to sit
    behind a proxy that knows where the server listens.
    """
    parts = urlsplit(base_url)
    local = parts.hostname in {"localhost", "::1"} or (parts.hostname or "").startswith("127.")
    if not local:
        return None
    listening = listening_url(host, port)
    if parts.port == urlsplit(listening).port:
        return None
    return (f"PUBLIC_BASE_URL is {base_url}, but this server listens at {listening}: "
            "links in mail and passkeys will point elsewhere. Unset PUBLIC_BASE_URL "
            "(it then follows HOST and PORT) or set it to the address you open.")


def development_secret(name: str, directory: Path = INSTANCE_DIR) -> str:
    """Return a per-checkout random secret kept in instance/ (never in the repo).

    Gunicorn workers must share the JWT key, so a per-process random value would not do.
    """
    path = directory / f".{name.lower()}"
    if not path.exists():
        directory.mkdir(exist_ok=True)
        # Written whole under a private name (mode 0600), then linked into place: of
        # workers starting at once exactly one value wins, and none reads a half-written
        # (empty) file, which would have made an empty key.
        fd, scratch = tempfile.mkstemp(dir=directory, prefix=f".{name.lower()}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):
                os.link(scratch, path)
        finally:
            os.unlink(scratch)
    return path.read_text().strip()
