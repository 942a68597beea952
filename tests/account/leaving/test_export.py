"""GET /auth/me/export: a streamed ZIP of account.json and the user's files, as stored."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from app.audit import record_event
from app.extensions import db as _db
from app.files.models import File
from app.storage import current_storage
from tests.factories import DEFAULT_PASSWORD, image_bytes, noise_image_bytes
from tests.helpers import assert_problem

EXPORT = "/api/v1/auth/me/export"
# Every test here runs on the local disk and on S3 (moto over HTTP).
pytestmark = pytest.mark.all_storage_backends


def export(client, headers) -> tuple[object, zipfile.ZipFile]:
    response = client.get(EXPORT, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_anonymous_is_401(client):
    assert_problem(client.get(EXPORT), 401)


def test_the_zip_holds_account_json_and_every_owned_file_byte_for_byte(
        client, user, users, admin, auth_headers, upload):
    other = users.create()
    uploads = {
        "notes.txt": b"first line\nsecond line\n",
        "photo.png": noise_image_bytes("PNG", (300, 200)),
        "big.txt": b"0123456789abcdef" * 200_000,  # 3.2 MB: several read chunks
    }
    ids = {}
    for name, data in uploads.items():
        response = upload(user, data, name)
        assert response.status_code == 201, response.get_data(as_text=True)
        ids[name] = response.get_json()["id"]
    assert upload(other, b"not yours\n", "other.txt").status_code == 201
    record_event("admin.user_updated", actor_id=admin.id, subject_id=user.id,
                 details={"changes": {"name": ["A", "B"]}})
    record_event("auth.login", actor_id=other.id, subject_id=other.id)
    _db.session.commit()

    response, archive = export(client, auth_headers(user))

    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="signet-export-{user.id}-')
    assert response.headers["Cache-Control"] == "no-store"
    assert archive.testzip() is None
    expected = {f"files/{ids[name]}-{name}": data for name, data in uploads.items()}
    assert set(archive.namelist()) == {"account.json", *expected}
    for path, data in expected.items():
        assert archive.read(path) == data
    account = json.loads(archive.read("account.json"))
    assert account["user"]["id"] == user.id and account["user"]["email"] == user.email
    assert "password" not in account["user"]
    assert sorted(f["archivePath"] for f in account["files"]) == sorted(expected)
    assert [(e["action"], e["actorId"]) for e in account["auditEvents"]] == [
        ("admin.user_updated", admin.id)]
    assert account["missingFiles"] == []


def test_a_user_without_files_gets_account_json_only(client, user, auth_headers):
    _response, archive = export(client, auth_headers(user))

    assert archive.namelist() == ["account.json"]
    assert json.loads(archive.read("account.json"))["files"] == []


def test_the_profile_image_is_exported_too(client, user, auth_headers):
    response = client.patch("/api/v1/auth/me", headers=auth_headers(user),
                            data={"profile_image": (io.BytesIO(image_bytes()), "me.png")},
                            content_type="multipart/form-data")
    assert response.status_code == 200
    image = _db.session.get(File, response.get_json()["profileImageId"])
    stored = current_storage().open(image.path).read()

    _response, archive = export(client, auth_headers(user))

    assert archive.read(f"files/{image.id}-{image.original_name}") == stored


def test_missing_bytes_are_listed_not_fatal(client, user, auth_headers, upload):
    kept = upload(user, b"still here\n", "kept.txt").get_json()["id"]
    lost = upload(user, b"gone\n", "lost.txt").get_json()["id"]
    current_storage().delete(_db.session.get(File, lost).path)

    _response, archive = export(client, auth_headers(user))

    assert archive.namelist() == [f"files/{kept}-kept.txt", "account.json"]
    assert json.loads(archive.read("account.json"))["missingFiles"] == [lost]


def test_account_json_lists_sessions_and_personal_tokens_without_secrets(
        client, user, auth_headers):
    from app.tokens.personal_tokens import create_token

    headers = auth_headers(user)  # one sign-in: one session
    token = create_token(user=user, name="backup script", scopes=["files:read"],
                         expires_in_days=30,
                          current_password=DEFAULT_PASSWORD)

    _response, archive = export(client, headers)

    account = json.loads(archive.read("account.json"))
    assert len(account["sessions"]) == 1
    assert set(account["sessions"][0]) == {"id", "createdAt", "lastUsedAt", "ip", "userAgent"}
    assert [(t["name"], t["scopes"]) for t in account["personalTokens"]] == [
        ("backup script", ["files:read"])]
    assert token.secret not in archive.read("account.json").decode()
    assert "token" not in account["personalTokens"][0]
