"""`flask files gc`: what a crash leaves between storage and the table is found and fixed."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.files.models import File
from app.storage import current_storage
from app.users.models import User
from tests.helpers import row_count

pytestmark = pytest.mark.all_storage_backends

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n%%EOF\n"
# Runs the real upload service in its own process and kills that process at the moment
# the database would commit: the bytes are already stored, the row never will be.
CRASHING_UPLOAD = """
import io, json, os, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from app import create_app
from app.extensions import db
from app.files.service import create_file
from app.users.models import User

app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    owner = db.session.get(User, int(sys.argv[2]))
    event.listen(Session, "before_commit", lambda session: os._exit(137))
    create_file(upload=FileStorage(io.BytesIO(b"%PDF-1.4\\n%%EOF\\n"), "a.pdf"), owner=owner)
"""


def crash_during_upload(app_config: dict, owner: User) -> None:
    """Upload in a child process that dies between writing the bytes and committing."""
    db_url = app_config["SQLALCHEMY_DATABASE_URI"]
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_UPLOAD, json.dumps(app_config), str(owner.id)],
        cwd=ROOT, capture_output=True, timeout=60, env={**os.environ, "DATABASE_URL": db_url})
    assert result.returncode == 137, result.stderr.decode()


@pytest.fixture
def gc(app):
    """`gc(*args)` runs `flask files gc` and returns its output (asserting success)."""

    def run(*args: str) -> str:
        result = app.test_cli_runner().invoke(args=["files", "gc", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_crash_between_bytes_and_commit_leaves_only_orphan_bytes_gc_removes(
        app_config, user, blobs, gc):
    crash_during_upload(app_config, user)
    [orphan] = blobs()
    assert row_count("files") == 0

    dry = gc("--dry-run", "--grace-seconds", "0")
    assert f"orphan bytes would be removed: {orphan}" in dry
    assert blobs() == {orphan}

    recent = gc()  # the default grace period protects uploads that may be mid-commit
    assert f"orphan bytes kept (younger than 3600s): {orphan}" in recent
    assert blobs() == {orphan}

    output = gc("--grace-seconds", "0")
    assert f"orphan bytes removed: {orphan}" in output
    assert "1 orphan blob(s) removed" in output
    assert blobs() == set()


def test_gc_leaves_committed_files_alone(upload, user, blobs, gc, db):
    file_id = upload(user, PDF, "keep.pdf").get_json()["id"]
    before = blobs()

    output = gc("--grace-seconds", "0")

    assert "0 orphan blob(s) removed" in output
    assert blobs() == before
    assert db.session.get(File, file_id) is not None


@pytest.mark.parametrize("storage_backend", ["local"])
def test_interrupted_local_write_is_removed_once_old(upload_dir, blobs, gc, storage_backend):
    partial = upload_dir / "ab" / "cd" / ".abcd0123.png.5f3e.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half an image")
    an_hour_and_more_ago = time.time() - 3700
    os.utime(partial, (an_hour_and_more_ago, an_hour_and_more_ago))
    stray = upload_dir / ".gitkeep"
    stray.write_bytes(b"")

    output = gc()

    assert "orphan bytes removed: ab/cd/.abcd0123.png.5f3e.part" in output
    assert not partial.exists()
    assert stray.exists()  # outside the key layout: not ours to judge


def test_row_without_bytes_is_reported_and_kept_by_default(client, auth_headers, user, gc,
                                                           db):
    response = client.patch("/api/v1/auth/me", headers=auth_headers(user), data={
        "profile_image": (io.BytesIO(_png()), "me.png")}, content_type="multipart/form-data")
    image_id = response.get_json()["profileImageId"]
    current_storage().delete(db.session.get(File, image_id).path)

    output = gc("--grace-seconds", "0")

    assert f"file {image_id} has no bytes: row kept" in output
    assert row_count("files") == 1
    output = gc("--delete-missing-rows", "--dry-run")
    assert f"file {image_id} has no bytes: row would be deleted" in output
    assert row_count("files") == 1

    output = gc("--delete-missing-rows")

    assert f"file {image_id} has no bytes: row deleted" in output
    assert row_count("files") == 0
    db.session.expire_all()
    assert db.session.get(User, user.id).profile_image_id is None


def _png() -> bytes:
    from tests.factories import image_bytes

    return image_bytes("PNG")
