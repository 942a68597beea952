"""Files fixtures: every test here runs on the local disk and on S3 (moto over HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from app.storage import current_storage
from tests.live_server import free_port

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
S3_SETTINGS = {
    "S3_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's standalone S3 server on a free local port, for the whole session."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {process.returncode}")
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start in time") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["local", "s3"])
def storage_backend(request) -> str:
    """The storage backend this test runs on."""
    return request.param


@pytest.fixture(scope="session")
def s3_admin_client(s3_endpoint):
    """One S3 client for the session (building a client costs a quarter of a second)."""
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=S3_SETTINGS["S3_REGION"],
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


@pytest.fixture
def s3_bucket(storage_backend, request) -> str | None:
    """A fresh, empty bucket on the moto server when the backend is s3."""
    if storage_backend != "s3":
        return None
    name = f"signet-test-{uuid.uuid4().hex[:12]}"
    request.getfixturevalue("s3_admin_client").create_bucket(Bucket=name)
    return name


@pytest.fixture
def app_config(app_config, storage_backend, s3_bucket, request) -> dict:
    """The app's settings with the storage backend of this test."""
    if storage_backend == "s3":
        app_config.update(S3_SETTINGS, STORAGE_BACKEND="s3", S3_BUCKET=s3_bucket,
                          S3_ENDPOINT_URL=request.getfixturevalue("s3_endpoint"))
    else:
        app_config["STORAGE_BACKEND"] = "local"
    return app_config


@pytest.fixture
def blobs(app):
    """`blobs()` lists the keys the storage backend holds, whatever it is."""

    def keys() -> set[str]:
        return {blob.key for blob in current_storage().list_blobs()}

    return keys


@pytest.fixture
def upload(client, auth_headers):
    """`upload(user, data, name)` posts a file as `user` and returns the response."""

    def post(account, data: bytes, name: str = "file.bin", content_type=None, **extra):
        from io import BytesIO

        headers = auth_headers(account) if account is not None else {}
        part = (BytesIO(data), name, content_type) if content_type else (BytesIO(data), name)
        return client.post("/api/v1/files", data={"file": part, **extra},
                           headers=headers, content_type="multipart/form-data")

    return post
