"""Registration is all or nothing: user row, file row and stored bytes, or none of them."""

from __future__ import annotations

import io
import shutil

import pytest

from app import create_app
from app.extensions import db as _db
from app.users import service as users_service
from tests.factories import image_bytes
from tests.helpers import DatabaseOutage, assert_problem, row_count, stored_blobs

URL = "/api/v1/auth/register"


def registration(email: str = "alan@example.com") -> dict:
    """A multipart registration body with a profile image."""
    return {"name": "Alan", "email": email, "password": "enigma-machine",
            "profile_image": (io.BytesIO(image_bytes("JPEG")), "me.jpg")}


@pytest.fixture
def blob_writes(monkeypatch):
    """Record every blob the registration writes, so a test knows bytes did hit the disk."""
    written = []
    real_store = users_service.store_image

    def recording_store(image, client_name):
        stored = real_store(image, client_name)
        written.append(stored.path)
        return stored

    monkeypatch.setattr(users_service, "store_image", recording_store)
    return written


@pytest.mark.parametrize("early_check", ["skipped once", "always blind"])
def test_integrity_error_after_the_bytes_are_written_leaves_no_file(
        client, user, upload_dir, monkeypatch, blob_writes, early_check):
    # The early email check is made to miss the duplicate, so the unique index decides
    # after the image has been written: the real IntegrityError path.
    real_email_taken = users_service.email_taken
    calls = []

    def blind_email_taken(email):
        calls.append(email)
        if early_check == "always blind" or len(calls) == 1:
            return False
        return real_email_taken(email)

    monkeypatch.setattr(users_service, "email_taken", blind_email_taken)

    response = client.post(URL, data=registration("ADA@example.com"),
                           content_type="multipart/form-data")

    assert_problem(response, 409)
    assert len(blob_writes) == 1  # the bytes were written before the database refused
    assert row_count("users") == 1  # only the existing user
    assert row_count("files") == 0
    assert stored_blobs(upload_dir) == []


def test_the_next_registration_after_a_refused_one_succeeds(client, user, upload_dir,
                                                            monkeypatch):
    monkeypatch.setattr(users_service, "email_taken", lambda email: False)
    assert client.post(URL, data=registration("ada@example.com"),
                       content_type="multipart/form-data").status_code == 409
    monkeypatch.undo()

    response = client.post(URL, data=registration(), content_type="multipart/form-data")

    assert response.status_code == 201
    assert row_count("files") == 1
    assert len(stored_blobs(upload_dir)) == 1


def test_database_lost_after_the_bytes_are_written_leaves_no_file(
        db_kind, app, app_config, database_url, tmp_path, upload_dir, monkeypatch,
        blob_writes):
    if db_kind == "sqlite":
        pytest.skip("a SQLite file cannot vanish under an open connection; MariaDB only")
    outage = DatabaseOutage(database_url, tmp_path)
    outage.restore()
    second = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": outage.url})
    store_then_lose_database = users_service.store_image

    def store_and_cut(image, client_name):
        stored = store_then_lose_database(image, client_name)
        outage.fail()  # the database server goes away between bytes and rows
        return stored

    monkeypatch.setattr(users_service, "store_image", store_and_cut)
    try:
        response = second.test_client().post(URL, data=registration(),
                                              content_type="multipart/form-data")
    finally:
        outage.close()
        with second.app_context():
            _db.engine.dispose()

    assert_problem(response, 503)
    assert "Retry-After" in response.headers
    assert len(blob_writes) == 1
    assert row_count("users") == 0
    assert row_count("files") == 0
    assert stored_blobs(upload_dir) == []


def test_storage_failure_leaves_no_row(client, upload_dir):
    # The upload folder turns into a regular file: every write fails, also as root.
    shutil.rmtree(upload_dir)
    upload_dir.write_text("not a folder")

    response = client.post(URL, data=registration(), content_type="multipart/form-data")

    assert_problem(response, 503)
    assert "Retry-After" in response.headers
    assert row_count("users") == 0
    assert row_count("files") == 0
    assert upload_dir.read_text() == "not a folder"


def test_storage_failure_then_recovery(client, upload_dir):
    shutil.rmtree(upload_dir)
    upload_dir.write_text("not a folder")
    assert client.post(URL, data=registration(),
                       content_type="multipart/form-data").status_code == 503

    upload_dir.unlink()
    upload_dir.mkdir()
    response = client.post(URL, data=registration(), content_type="multipart/form-data")

    assert response.status_code == 201
    assert row_count("users") == 1 and row_count("files") == 1
    assert len(stored_blobs(upload_dir)) == 1
