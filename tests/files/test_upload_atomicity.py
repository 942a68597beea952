"""POST /api/v1/files is all or nothing: a refused commit or a failed write leaves neither
a row without bytes nor bytes without a row."""

from __future__ import annotations

import shutil

import boto3
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.storage import current_storage
from tests.helpers import S3_SETTINGS, assert_problem, row_count

pytestmark = pytest.mark.all_storage_backends

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def break_storage(storage_backend, upload_dir, app_config):
    """`break_storage()` makes every write of this test's backend fail."""

    def run() -> None:
        if storage_backend == "s3":
            boto3.client("s3", endpoint_url=app_config["S3_ENDPOINT_URL"],
                         region_name=S3_SETTINGS["S3_REGION"], aws_access_key_id="testing",
                         aws_secret_access_key="testing",
                         ).delete_bucket(Bucket=app_config["S3_BUCKET"])
        else:
            # The folder turns into a regular file: every write fails, also as root.
            shutil.rmtree(upload_dir)
            upload_dir.write_text("not a folder")

    return run


def test_refused_commit_leaves_no_row_and_no_bytes(upload, user, blobs, auth_headers):
    headers = auth_headers(user)  # sign in (a session row) before writes are refused

    def refuse(session, flush_context):
        raise RuntimeError("the database refused the write")

    event.listen(Session, "after_flush", refuse)
    try:
        response = upload(user, PDF, "doc.pdf", headers=headers)
    finally:
        event.remove(Session, "after_flush", refuse)

    assert_problem(response, 500)
    assert row_count("files") == 0
    assert blobs() == set()
    assert upload(user, PDF, "doc.pdf").status_code == 201  # and the next upload works


def test_storage_failure_is_503_and_leaves_no_row(upload, user, app, break_storage):
    current_storage()  # the backend exists before its storage goes away
    break_storage()

    response = upload(user, PDF, "doc.pdf")

    assert_problem(response, 503)
    assert "Retry-After" in response.headers
    assert row_count("files") == 0
