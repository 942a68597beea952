"""Start-up refuses an upload folder or storage setting it cannot work with, clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.settings import ConfigError
from app.storage import StorageConfigError

ROOT = Path(__file__).resolve().parents[2]


def build(app_config: dict, **overrides):
    return create_app({**app_config, **overrides})


def test_missing_upload_folder_is_created(app_config, tmp_path):
    folder = tmp_path / "not" / "yet" / "there"

    build(app_config, UPLOAD_FOLDER=str(folder))

    assert folder.is_dir()


def test_upload_folder_that_is_a_file_is_refused(app_config, tmp_path):
    occupied = tmp_path / "uploads-file"
    occupied.write_text("not a folder")

    with pytest.raises(StorageConfigError, match=f"UPLOAD_FOLDER {occupied} exists but is "
                                                 "not a directory"):
        build(app_config, UPLOAD_FOLDER=str(occupied))


def test_upload_folder_that_cannot_be_created_is_refused(app_config, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    with pytest.raises(StorageConfigError, match="does not exist and cannot be created"):
        build(app_config, UPLOAD_FOLDER=str(blocker / "uploads"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root passes every permission check")
def test_unwritable_upload_folder_is_refused(app_config, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)

    with pytest.raises(StorageConfigError, match="must be readable, writable and searchable"):
        build(app_config, UPLOAD_FOLDER=str(locked))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp' is refused: input should be 'local'"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": None}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
])
def test_unknown_backend_or_missing_bucket_is_refused(app_config, overrides, message):
    with pytest.raises(ConfigError, match=message):
        build(app_config, **overrides)


def test_the_cli_stops_with_the_message_not_a_traceback_of_our_making(tmp_path):
    occupied = tmp_path / "uploads-file"
    occupied.write_text("not a folder")
    env = {**os.environ, "APP_ENV": "testing", "UPLOAD_FOLDER": str(occupied),
           "FLASK_APP": "wsgi.py", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}

    result = subprocess.run([sys.executable, "-m", "flask", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert f"UPLOAD_FOLDER {occupied} exists but is not a directory." in result.stderr


def test_local_blobs_have_a_folder_path_a_proxy_can_serve(tmp_path):
    from app.storage.local import LocalStorage

    storage = LocalStorage(tmp_path)

    assert storage.folder_path("ab/cd/blob.pdf") == "ab/cd/blob.pdf"
    with pytest.raises(ValueError, match="escapes"):
        storage.folder_path("../outside.pdf")
