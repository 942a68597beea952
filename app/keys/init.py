"""Start-up of the signing keys: a keyring per app."""

from __future__ import annotations

from flask import Flask

from app.keys.access_tokens import init_access_tokens
from app.keys.keyring import EXTENSION_KEY, Keyring


def init_keys(app: Flask) -> None:
    """Give the app its keyring, sign access tokens."""
    app.extensions[EXTENSION_KEY] = Keyring()
    init_access_tokens(app)
