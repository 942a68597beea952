"""Settings of the data a service keeps: the database, stored files, profile images, audit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from app.settings.base import BASE_DIR, INSTANCE_DIR, Domain, setting

DEFAULT_ALLOWED_FILE_TYPES = (
    "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain")


class DatabaseSettings(Domain):
    """The SQL database and how its connections are kept and retried."""

    url: str = setting(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'signet.db'}",
        "SQLAlchemy URL; production: `mysql+pymysql://user:pass@host/db` (MySQL URLs get "
        "`charset=utf8mb4` unless they name one)", shown="SQLite file `instance/signet.db`",
        secret=True, example="mysql+pymysql://signet:change-me@127.0.0.1:3306/signet")
    # No ping on every checkout (a round trip per request): app/db_driver.py pings only
    # connections idle longer than this.
    ping_after_idle: int = setting(
        "DB_PING_AFTER_IDLE", 10,
        "MariaDB: ping a pooled connection before use only when it was idle this many "
        "seconds", ge=0)
    retry_attempts: int = setting(
        "DB_RETRY_ATTEMPTS", 3,
        "runs of a retried use case after a Galera certification conflict (1213), lock wait "
        "timeout (1205), unsynced node (1047) or lost connection; then 503 with "
        "`Retry-After` (see *Galera: retried writes*)", ge=1)

    @field_validator("url")
    @classmethod
    def _utf8mb4(cls, url: str) -> str:
        # Every email and name must fit: MySQL's utf8 holds three bytes a character.
        if url.startswith("mysql") and "charset=" not in url:
            url += ("&" if "?" in url else "?") + "charset=utf8mb4"
        return url


class StorageSettings(Domain):
    """Where file bytes live: a local folder or an S3 bucket."""

    backend: Literal["local", "s3"] = setting(
        "STORAGE_BACKEND", "local", "`local` (files under `UPLOAD_FOLDER`) or `s3`")
    upload_folder: str = setting(
        "UPLOAD_FOLDER", str(BASE_DIR / "uploads"),
        "local storage root; start-up refuses (naming the fix) a folder that can't be "
        "created, isn't a directory, or isn't readable, writable and searchable",
        shown="`uploads/`", example="uploads")
    s3_bucket: str | None = setting(
        "S3_BUCKET", None, "required for `s3`; the bucket must already exist")
    s3_endpoint_url: str | None = setting(
        "S3_ENDPOINT_URL", None,
        "S3-compatible endpoint (MinIO, …); path-style addressing when set")
    s3_region: str | None = setting(
        "S3_REGION", None, "bucket region", also=("AWS_REGION", "AWS_DEFAULT_REGION"),
        shown="`AWS_REGION` / `AWS_DEFAULT_REGION`")
    aws_access_key_id: str | None = setting(
        "AWS_ACCESS_KEY_ID", None,
        "explicit key id; unset: boto3's usual chain (env, profile, instance role)")
    aws_secret_access_key: str | None = setting(
        "AWS_SECRET_ACCESS_KEY", None, "explicit secret key, with `AWS_ACCESS_KEY_ID`",
        secret=True)
    s3_presigned_downloads: bool = setting(
        "S3_PRESIGNED_DOWNLOADS", False,
        "`true`: downloads answer `302` to a presigned URL instead of streaming through "
        "the worker")
    s3_presign_seconds: int = setting(
        "S3_PRESIGN_SECONDS", 60, "lifetime of a presigned URL", ge=1)

    @model_validator(mode="after")
    def _bucket_for_s3(self) -> StorageSettings:
        if self.backend == "s3" and not self.s3_bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET (an existing bucket).")
        return self


class FileSettings(Domain):
    """What users may upload and keep, and how downloads leave the service."""

    allowed_types: Annotated[tuple[str, ...], NoDecode] = setting(
        "ALLOWED_FILE_TYPES", DEFAULT_ALLOWED_FILE_TYPES,
        "comma-separated MIME types `POST /files` accepts, as detected from the bytes; SVG "
        "and HTML are never served inline even if allowed",
        shown="JPEG, PNG, GIF, WebP, PDF, plain text", example=",".join(DEFAULT_ALLOWED_FILE_TYPES))
    user_quota_bytes: int = setting(
        "USER_STORAGE_QUOTA_BYTES", 1024 * 1024 * 1024,
        "bytes each non-admin user may store, profile image included (`0`: no quota; admins "
        "unlimited); over it: `413` with a problem `type` ending in `quota-exceeded`",
        shown="1 GiB", ge=0)
    gc_grace_seconds: int = setting(
        "FILES_GC_GRACE_SECONDS", 3600,
        "`flask files gc` leaves orphan bytes younger than this", ge=0)
    accel_redirect_prefix: str | None = setting(
        "ACCEL_REDIRECT_PREFIX", None,
        "behind nginx (`deploy/nginx/`), with `STORAGE_BACKEND=local`: downloads answer with "
        "`X-Accel-Redirect` to this internal location (`/_signet_files/`) and nginx sends "
        "the bytes; the app still checks access. Unset: the worker sends the bytes")

    @field_validator("allowed_types", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value


class ImageSettings(Domain):
    """Profile images, judged from the header before decoding (issue 13)."""

    max_bytes: int = setting(
        "PROFILE_IMAGE_MAX_BYTES", 5 * 1024 * 1024, "largest profile image (`413` beyond)",
        shown="5 MiB", ge=1)
    max_pixels: int = setting(
        "PROFILE_IMAGE_MAX_PIXELS", 16_000_000,
        "pixels per frame of a profile image, judged from the header before decoding "
        "(`422` on `profile_image` beyond)", ge=1)
    max_frames: int = setting(
        "PROFILE_IMAGE_MAX_FRAMES", 100,
        "frames of an animated profile image, counted without decoding (`422` beyond)", ge=1)
    max_total_pixels: int = setting(
        "PROFILE_IMAGE_MAX_TOTAL_PIXELS", 16_000_000,
        "pixels of all frames together, each GIF frame counted at the canvas size it is "
        "decoded into (`422` beyond)", ge=1)
    max_scans: int = setting(
        "PROFILE_IMAGE_MAX_SCANS", 16,
        "scans (SOS segments) of a JPEG, counted before decoding: each scan of a progressive "
        "JPEG decodes the whole image again (`422` beyond)", ge=1)
    decode_seconds: float = setting(
        "PROFILE_IMAGE_DECODE_SECONDS", 1.0,
        "decode deadline for every profile image, checked at each read the decoder makes "
        "and between frames (`422` beyond); stored images are at most 1024 px a side", ge=0)


class AuditSettings(Domain):
    """The audit trail."""

    retention_days: int = setting(
        "AUDIT_RETENTION_DAYS", 365,
        "`flask audit purge` deletes audit events older than this many days", ge=1)
    purge_batch_size: int = setting(
        "AUDIT_PURGE_BATCH_SIZE", 2000,
        "events `flask audit purge` deletes per transaction: each batch holds its row locks "
        "only while it runs (5,000 took 0.14 s, at worst 0.8 s, on a busy MariaDB)",
        ge=1, le=100_000)
