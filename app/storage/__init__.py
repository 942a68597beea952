"""File storage behind the small interface of `app.storage.base`.

Backends: `local` (UPLOAD_FOLDER) and `s3` (S3_BUCKET), chosen by STORAGE_BACKEND.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.storage.base import Storage, StorageConfigError, StoredBlob
from app.storage.local import LocalStorage

EXTENSION_KEY = "signet.storage"
BACKENDS = ("local", "s3")


def init_storage(app: Flask) -> None:
    """Create the configured storage backend, check it can work, attach it to the app."""
    backend = app.config["STORAGE_BACKEND"]
    if backend == "local":
        storage: Storage = LocalStorage(app.config["UPLOAD_FOLDER"])
        storage.check_startup()
    elif backend == "s3":
        storage = _s3_storage(app.config)
    else:
        raise StorageConfigError(
            f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}.")
    app.extensions[EXTENSION_KEY] = storage


def _s3_storage(config) -> Storage:
    from app.storage.s3 import S3Storage  # boto3 is only imported when it is used

    if not config.get("S3_BUCKET"):
        raise StorageConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET (an existing bucket).")
    # No network call here: `flask db upgrade` must work while S3 is unreachable;
    # /readyz reports whether the bucket is writable.
    return S3Storage(
        bucket=config["S3_BUCKET"],
        endpoint_url=config.get("S3_ENDPOINT_URL"),
        region=config.get("S3_REGION"),
        access_key_id=config.get("AWS_ACCESS_KEY_ID"),
        secret_access_key=config.get("AWS_SECRET_ACCESS_KEY"),
        presign_seconds=config.get("S3_PRESIGN_SECONDS", 60),
    )


def current_storage() -> Storage:
    """Return the storage backend of the running app."""
    return current_app.extensions[EXTENSION_KEY]


def storage_key(stored_name: str) -> str:
    """Spread stored names over two levels of sub-folders (256 x 256 buckets)."""
    return f"{stored_name[0:2]}/{stored_name[2:4]}/{stored_name}"


__all__ = ["LocalStorage", "Storage", "StorageConfigError", "StoredBlob", "current_storage",
           "init_storage", "storage_key"]
