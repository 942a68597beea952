"""File storage behind a tiny interface: save(stream, key), open(key), delete(key).

Keys are built by the service from UUIDs; the client's file name never reaches the disk.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.storage.local import LocalStorage, Storage

EXTENSION_KEY = "signet.storage"


def init_storage(app: Flask) -> None:
    """Create the configured storage backend and attach it to the app."""
    backend = app.config["STORAGE_BACKEND"]
    if backend == "local":
        storage: Storage = LocalStorage(app.config["UPLOAD_FOLDER"])
    else:
        raise RuntimeError(f"STORAGE_BACKEND must be 'local', got {backend!r}.")
    app.extensions[EXTENSION_KEY] = storage


def current_storage() -> Storage:
    """Return the storage backend of the running app."""
    return current_app.extensions[EXTENSION_KEY]


def storage_key(stored_name: str) -> str:
    """Spread stored names over two levels of sub-folders (256 x 256 buckets)."""
    return f"{stored_name[0:2]}/{stored_name[2:4]}/{stored_name}"


__all__ = ["LocalStorage", "Storage", "current_storage", "init_storage", "storage_key"]
