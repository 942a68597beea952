"""POST /api/v1/files: type judged from the bytes, limits, rows and stored bytes."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest

from app.files.models import File
from app.files.service import clean_original_name
from tests.factories import image_bytes, png_bomb
from tests.helpers import assert_problem, row_count

pytestmark = pytest.mark.all_storage_backends

URL = "/api/v1/files"
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]+$")
FILE_KEYS = {"id", "originalName", "modifiedName", "type", "size", "url", "createdAt"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    return out.getvalue()


def test_upload_returns_201_file_json_location_row_and_bytes(upload, user, db, blobs):
    data = image_bytes("PNG")

    response = upload(user, data, "holiday.png")

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == FILE_KEYS
    assert response.headers["Location"] == f"/api/v1/files/{body['id']}"
    assert body["url"] == f"/api/v1/files/{body['id']}/content"
    assert body["type"] == "image/png"
    assert body["size"] == len(data)
    assert body["originalName"] == "holiday.png"
    assert STORED_NAME.match(body["modifiedName"])
    assert body["createdAt"].endswith("+00:00")
    row = db.session.get(File, body["id"])
    assert row.owner_id == user.id
    assert row.checksum == hashlib.sha256(data).hexdigest()
    name = row.modified_name
    assert row.path == f"{name[:2]}/{name[2:4]}/{name}"
    assert blobs() == {row.path}


@pytest.mark.parametrize(("data", "name"), [
    (b"many short lines\n" * 120_000, "big.txt"),  # ~2 MiB, a newline in every chunk
    (b"%PDF-1.4\n" + bytes(range(256)) * 8192 + b"\n%%EOF\n", "big.pdf"),
])
def test_files_far_larger_than_the_form_field_limit_upload_whole(upload, user, data, name,
                                                                   client, auth_headers):
    response = upload(user, data, name)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["size"] == len(data)
    content = client.get(response.get_json()["url"], headers=auth_headers(user))
    assert content.get_data() == data


@pytest.mark.parametrize("storage_backend", ["local"])
def test_local_bytes_land_in_two_levels_of_sub_folders(upload, user, db, upload_dir,
                                                       storage_backend):
    data = image_bytes("PNG")

    body = upload(user, data, "x.png").get_json()

    name = body["modifiedName"]
    assert (upload_dir / name[:2] / name[2:4] / name).read_bytes() == data


@pytest.mark.parametrize(("data", "claimed", "detected", "extension"), [
    (image_bytes("JPEG"), "application/octet-stream", "image/jpeg", ".jpg"),
    (image_bytes("PNG"), "image/jpeg", "image/png", ".png"),
    (image_bytes("GIF"), "text/plain", "image/gif", ".gif"),
    (image_bytes("WEBP"), "image/png", "image/webp", ".webp"),
    (PDF, "text/plain", "application/pdf", ".pdf"),
    ("Grüße, 世界 — plain text\n".encode(), "application/pdf", "text/plain", ".txt"),
])
def test_stored_type_is_detected_from_the_bytes_not_the_client(upload, user, db, data,
                                                                claimed, detected, extension):
    response = upload(user, data, "whatever.name", content_type=claimed)

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["type"] == detected
    assert body["modifiedName"].endswith(extension)
    assert db.session.get(File, body["id"]).type == detected


@pytest.mark.parametrize(("data", "name"), [
    (zip_bytes(), "archive.txt"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200), "setup.pdf"),
    (b"text with a NUL \x00 byte", "notes.txt"),
    (b"caf\xe9 in latin-1, not UTF-8", "notes.txt"),
    (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "fake.png"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.txt"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "logo.png"),
    (b"<svg onload='alert(1)'/>", "logo.svg"),
])
def test_type_not_allowed_is_415_and_nothing_is_stored(upload, user, blobs, data, name):
    response = upload(user, data, name, content_type="image/png")

    body = assert_problem(response, 415)
    assert "not accepted" in body["detail"]
    assert row_count("files") == 0
    assert blobs() == set()


def test_allowed_types_come_from_config(app_config, request):
    app_config["ALLOWED_FILE_TYPES"] = ["image/png"]
    upload = request.getfixturevalue("upload")
    user = request.getfixturevalue("user")

    assert upload(user, image_bytes("PNG"), "a.png").status_code == 201
    assert_problem(upload(user, PDF, "a.pdf"), 415)


def test_html_allowed_by_config_is_stored_as_html(app_config, request):
    app_config["ALLOWED_FILE_TYPES"] = ["text/html"]
    upload = request.getfixturevalue("upload")
    user = request.getfixturevalue("user")

    response = upload(user, b"<html><body>hi</body></html>", "page.txt")

    assert response.status_code == 201
    assert response.get_json()["type"] == "text/html"


def test_body_over_max_content_length_is_413_before_it_is_read(app_config, request):
    app_config["MAX_CONTENT_LENGTH"] = 1024
    client = request.getfixturevalue("client")
    headers = request.getfixturevalue("auth_headers")(request.getfixturevalue("user"))

    class Unreadable(io.RawIOBase):
        def readable(self):
            return True

        def seekable(self):
            return True

        position = 0

        def tell(self):
            return self.position

        def seek(self, offset, whence=0):
            # The test client measures the body by seeking to its end: claim 2048 bytes.
            self.position = 2048 if whence == io.SEEK_END else offset
            return self.position

        def readinto(self, buffer):
            raise AssertionError("the body was read")

    response = client.post(URL, input_stream=Unreadable(), content_length=2048,
                           content_type="multipart/form-data; boundary=x", headers=headers)

    body = assert_problem(response, 413)
    assert "1024" in body["detail"]
    assert row_count("files") == 0


def test_real_multipart_over_max_content_length_is_413(app_config, request):
    app_config["MAX_CONTENT_LENGTH"] = 4096
    upload = request.getfixturevalue("upload")
    blobs = request.getfixturevalue("blobs")

    response = upload(request.getfixturevalue("user"), b"a" * 5000, "big.txt")

    assert_problem(response, 413)
    assert row_count("files") == 0
    assert blobs() == set()


@pytest.mark.parametrize("kwargs", [
    lambda: {"data": {}, "content_type": "multipart/form-data"},
    # An HTML form whose file input was left blank.
    lambda: {"data": {"file": (io.BytesIO(b""), "")}, "content_type": "multipart/form-data"},
    lambda: {"json": {"file": "aGVsbG8="}},
    lambda: {"data": {"file": "just text"},
             "content_type": "application/x-www-form-urlencoded"},
], ids=["no-part", "blank-input", "json", "urlencoded"])
def test_missing_or_non_file_part_is_422(client, user, auth_headers, kwargs):
    response = client.post(URL, headers=auth_headers(user), **kwargs())

    body = assert_problem(response, 422)
    assert "file" in body["errors"]


def test_empty_file_is_422(upload, user, blobs):
    body = assert_problem(upload(user, b"", "empty.txt"), 422)

    assert "file" in body["errors"]
    assert blobs() == set()


def test_upload_without_token_is_401(upload, blobs):
    assert_problem(upload(None, image_bytes("PNG"), "a.png"), 401)
    assert blobs() == set()


@pytest.mark.parametrize(("client_name", "stored_name"), [
    ("résumé 文件 ✓.pdf", "résumé 文件 ✓.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("a<b>|e?f*.pdf", "a_b__e_f_.pdf"),
    ("...", "upload.pdf"),
    ("é" * 300 + ".pdf", "é" * 251 + ".pdf"),
])
def test_original_name_is_sanitised_but_keeps_unicode(upload, user, client_name, stored_name):
    response = upload(user, PDF, client_name)

    assert response.status_code == 201
    assert response.get_json()["originalName"] == stored_name


@pytest.mark.parametrize(("client_name", "stored_name"), [
    # Names a test client cannot put in a multipart header unescaped.
    ("C:\\Users\\ada\\report.pdf", "report.pdf"),
    ('say "hi".pdf', "say _hi_.pdf"),
    ("line\r\nbreak\x00\u202e.pdf", "linebreak.pdf"),
    ("  spaced   out  .pdf", "spaced out .pdf"),
    (None, "upload.pdf"),
])
def test_clean_original_name(client_name, stored_name):
    assert clean_original_name(client_name, ".pdf") == stored_name


@pytest.mark.parametrize("size", [(30000, 30000), (4001, 4000)])
def test_an_image_over_the_pixel_budget_is_refused_on_the_field(upload, user, blobs, size):
    # Served inline, every browser showing it would decode 900 Mpx from 109 kB.
    response = upload(user, png_bomb(*size), "huge.png")

    body = assert_problem(response, 422)
    assert "at most 16000000 pixels" in body["errors"]["file"][0]
    assert row_count("files") == 0 and blobs() == set()


def test_an_image_within_the_pixel_budget_is_stored(upload, user):
    response = upload(user, png_bomb(4000, 4000), "large.png")

    assert response.status_code == 201
    assert response.get_json()["type"] == "image/png"
