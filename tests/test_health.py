"""GET /healthz and GET /readyz: liveness, and readiness of the database and the storage."""

from __future__ import annotations

import os
import shutil

import pytest

from app import create_app
from app.extensions import db as _db
from tests.helpers import DatabaseOutage, assert_problem, stored_blobs


def test_healthz_is_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ok_and_leaves_no_probe_behind(client, upload_dir):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert stored_blobs(upload_dir) == []


def make_upload_folder_unwritable(upload_dir) -> None:
    """Take write access away for real: chmod, or (as root) a regular file in its place."""
    if os.geteuid() != 0:
        upload_dir.chmod(0o500)
        return
    # root writes through any mode bits: replace the folder by a regular file instead.
    shutil.rmtree(upload_dir)
    upload_dir.write_text("not a folder")


def test_readyz_is_503_when_the_upload_folder_is_not_writable(client, upload_dir):
    make_upload_folder_unwritable(upload_dir)
    try:
        response = client.get("/readyz")
    finally:
        if upload_dir.is_dir():
            upload_dir.chmod(0o700)

    assert_problem(response, 503)
    assert "Retry-After" in response.headers


def test_readyz_recovers_when_the_upload_folder_is_back(client, upload_dir):
    make_upload_folder_unwritable(upload_dir)
    assert client.get("/readyz").status_code == 503

    if upload_dir.is_file():
        upload_dir.unlink()
    upload_dir.mkdir(exist_ok=True)
    upload_dir.chmod(0o700)

    assert client.get("/readyz").status_code == 200


def test_healthz_stays_ok_while_the_storage_is_down(client, upload_dir):
    make_upload_folder_unwritable(upload_dir)

    assert client.get("/healthz").status_code == 200
    if upload_dir.is_dir():
        upload_dir.chmod(0o700)


@pytest.fixture
def unreachable_database_client(app_config, database_url, tmp_path):
    """A second app whose database does not answer (and a way to bring it back)."""
    outage = DatabaseOutage(database_url, tmp_path)
    second = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": outage.url})
    yield second.test_client(), outage
    with second.app_context():
        _db.engine.dispose()
    outage.close()


def test_readyz_is_503_while_the_database_is_unreachable(unreachable_database_client):
    client, outage = unreachable_database_client

    response = client.get("/readyz")

    body = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert "database" in body["detail"].lower()
    assert client.get("/healthz").status_code == 200

    outage.restore()
    assert client.get("/readyz").status_code == 200
