"""The S3 storage backend (AWS S3 or any S3-compatible service) through boto3."""

from __future__ import annotations

import functools
import io
import uuid
from collections.abc import Iterator
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from app.exceptions import StorageUnavailable
from app.storage.base import StoredBlob

MIB = 1024 * 1024
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
# One part in flight at a time: memory stays at about one part (8 MiB) per upload.
TRANSFER = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB,
                          max_concurrency=1, use_threads=False)


class _CountingReader:
    """Counts the bytes boto3 pulls from the upload stream."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data


class S3ReadStream(io.RawIOBase):
    """A seekable, lazily fetched object body: a seek starts a new ranged GET.

    Range requests on downloads then cost one GET from the wanted offset instead of
    reading and discarding everything before it.
    """

    def __init__(self, client, bucket: str, key: str):
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._position = 0
        self._body = None
        self._open_body()  # fail now (FileNotFoundError) rather than mid-response

    def _open_body(self) -> None:
        extra = {"Range": f"bytes={self._position}-"} if self._position else {}
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._key, **extra)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in MISSING_CODES:
                raise FileNotFoundError(self._key) from None
            if code == "InvalidRange":  # seek to the very end of the object
                self._body = io.BytesIO()
                return
            raise StorageUnavailable() from error
        except BotoCoreError as error:
            raise StorageUnavailable() from error
        self._body = response["Body"]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("only SEEK_SET and SEEK_CUR are supported")
        if offset != self._position:
            self._close_body()
            self._position = offset
        return self._position

    def read(self, size: int = -1) -> bytes:
        if self._body is None:
            self._open_body()
        data = self._body.read() if size is None or size < 0 else self._body.read(size)
        self._position += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _close_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._close_body()
        super().close()


@functools.cache
def _boto_session() -> boto3.session.Session:
    """One boto3 session per process: each new session reloads botocore's service models
    (about a quarter of a second), and clients made from a shared one are independent."""
    return boto3.session.Session()


class S3Storage:
    """Stores each blob as an object in one bucket; keys are the same as on disk."""

    def __init__(self, *, bucket: str, endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, presign_seconds: int = 60):
        self.bucket = bucket
        self.presign_seconds = presign_seconds
        # Explicit keys when configured; otherwise boto3's usual chain (env, profile, role).
        self.client = _boto_session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=BotoConfig(
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                # Custom endpoints (MinIO, moto) rarely resolve virtual-host buckets.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
            ),
        )

    def save(self, stream: BinaryIO, key: str) -> int:
        """Upload `stream` in parts and return the number of bytes stored."""
        reader = _CountingReader(stream)
        try:
            self.client.upload_fileobj(reader, self.bucket, key, Config=TRANSFER)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable() from error
        return reader.count

    def open(self, key: str) -> BinaryIO:
        """Open the object for streamed reading; FileNotFoundError when it is gone."""
        return S3ReadStream(self.client, self.bucket, key)

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable() from error

    def exists(self, key: str) -> bool:
        """True when an object is stored under `key`."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING_CODES:
                return False
            raise StorageUnavailable() from error
        except BotoCoreError as error:
            raise StorageUnavailable() from error
        return True

    def list_blobs(self) -> Iterator[StoredBlob]:
        """Yield every object of the bucket with its last-modified time."""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredBlob(item["Key"], item["LastModified"])
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable() from error

    def check_writable(self) -> None:
        """Raise StorageUnavailable unless an object can be written and removed."""
        key = f".probe-{uuid.uuid4().hex}"
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"ok")
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable() from error

    def folder_path(self, key: str) -> None:
        """Objects live in a bucket, not in a folder a proxy could serve: always None."""
        return None

    def presigned_url(self, key: str, *, mimetype: str, disposition: str) -> str:
        """A short-lived GET URL that answers with our Content-Type and -Disposition."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": mimetype,
                    "ResponseContentDisposition": disposition},
            ExpiresIn=self.presign_seconds,
        )
