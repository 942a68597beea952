"""File storage behind the small interface of `app.storage.base`.

Backends: `local` (UPLOAD_FOLDER) and `s3` (S3_BUCKET), chosen by STORAGE_BACKEND.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.settings import settings_of
from app.settings.data import StorageSettings
from app.storage.base import Storage, StorageConfigError, StoredBlob
from app.storage.local import LocalStorage

EXTENSION_KEY = "signet.storage"


def init_storage(app: Flask) -> None:
    """Create the configured storage backend, check it can work, attach it to the app."""
    configured = settings_of(app).storage  # backend and bucket checked at start-up
    if configured.backend == "s3":
        storage: Storage = _s3_storage(configured)
    else:
        storage = LocalStorage(configured.upload_folder)
        storage.check_startup()
    app.extensions[EXTENSION_KEY] = storage


def _s3_storage(configured: StorageSettings) -> Storage:
    from app.storage.s3 import S3Storage  # boto3 is only imported when it is used

    # No network call here: `flask db upgrade` must work while S3 is unreachable;
    # /readyz reports whether the bucket is writable.
    return S3Storage(
        bucket=configured.s3_bucket,
        endpoint_url=configured.s3_endpoint_url,
        region=configured.s3_region,
        access_key_id=configured.aws_access_key_id,
        secret_access_key=configured.aws_secret_access_key,
        presign_seconds=configured.s3_presign_seconds,
    )


def current_storage() -> Storage:
    """Return the storage backend of the running app."""
    return current_app.extensions[EXTENSION_KEY]


def storage_key(stored_name: str) -> str:
    """Spread stored names over two levels of sub-folders (256 x 256 buckets)."""
    return f"{stored_name[0:2]}/{stored_name[2:4]}/{stored_name}"


__all__ = ["LocalStorage", "Storage", "StorageConfigError", "StoredBlob", "current_storage",
           "init_storage", "storage_key"]
