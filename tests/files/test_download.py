"""GET /api/v1/files/{id}/content: headers, conditional and ranged answers."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest
import requests

from app.files.models import File
from app.storage import current_storage
from tests.factories import image_bytes
from tests.helpers import assert_problem

pytestmark = pytest.mark.all_storage_backends

PDF = b"%PDF-1.4\n" + b"0123456789" * 100 + b"\n%%EOF\n"


@pytest.fixture
def stored(upload, user, auth_headers):
    """`stored(data, name)` uploads as `user`; returns (content url, headers, json)."""

    def put(data: bytes, name: str):
        response = upload(user, data, name)
        assert response.status_code == 201, response.get_data(as_text=True)
        body = response.get_json()
        return body["url"], auth_headers(user), body

    return put


def test_content_has_bytes_type_length_etag_and_safety_headers(client, stored):
    data = image_bytes("PNG")
    url, headers, _ = stored(data, "photo.png")

    response = client.get(url, headers=headers)

    assert response.status_code == 200
    assert response.get_data() == data
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Disposition"] == "inline; filename=photo.png"
    assert "private" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("data", "name", "content_type"), [
    (PDF, "report.pdf", "application/pdf"),
    (b"just words\n", "notes.txt", "text/plain; charset=utf-8"),
])
def test_non_images_are_attachments(client, stored, data, name, content_type):
    url, headers, _ = stored(data, name)

    response = client.get(url, headers=headers)

    assert response.status_code == 200
    assert response.get_data() == data
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"


@pytest.mark.parametrize(("data", "mime_type"), [
    (b"<html><body><script>alert(1)</script></body></html>", "text/html"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
])
def test_html_and_svg_are_never_inline(app_config, request, data, mime_type):
    app_config["ALLOWED_FILE_TYPES"] = [mime_type]
    client = request.getfixturevalue("client")
    url, headers, body = request.getfixturevalue("stored")(data, "page")
    assert body["type"] == mime_type

    response = client.get(url, headers=headers)

    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_unicode_name_survives_in_rfc5987_filename(client, stored):
    url, headers, _ = stored(PDF, "résumé 文件.pdf")

    disposition = client.get(url, headers=headers).headers["Content-Disposition"]

    assert disposition.startswith('attachment; filename="resume .pdf"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "résumé 文件.pdf"
    disposition.encode("latin-1")  # a header value must be plain bytes


def test_matching_if_none_match_is_304_without_body(client, stored):
    url, headers, _ = stored(PDF, "a.pdf")
    etag = client.get(url, headers=headers).headers["ETag"]

    response = client.get(url, headers={**headers, "If-None-Match": etag})

    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag


def test_stale_if_none_match_is_200(client, stored):
    url, headers, _ = stored(PDF, "a.pdf")

    response = client.get(url, headers={**headers, "If-None-Match": '"something-else"'})

    assert response.status_code == 200
    assert response.get_data() == PDF


@pytest.mark.parametrize(("range_header", "start", "end"), [
    ("bytes=0-9", 0, 9),
    ("bytes=100-199", 100, 199),
    ("bytes=-7", len(PDF) - 7, len(PDF) - 1),
    ("bytes=1000-", 1000, len(PDF) - 1),
])
def test_range_is_206_with_exactly_those_bytes(client, stored, range_header, start, end):
    url, headers, _ = stored(PDF, "a.pdf")

    response = client.get(url, headers={**headers, "Range": range_header})

    assert response.status_code == 206
    assert response.get_data() == PDF[start:end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(PDF)}"
    assert response.headers["Content-Length"] == str(end - start + 1)


def test_range_past_the_end_is_416(client, stored):
    url, headers, _ = stored(PDF, "a.pdf")

    response = client.get(url, headers={**headers, "Range": f"bytes={len(PDF) + 10}-"})

    assert_problem(response, 416)


def test_row_whose_bytes_are_gone_is_404(client, stored, db):
    url, headers, body = stored(PDF, "a.pdf")
    current_storage().delete(db.session.get(File, body["id"]).path)

    assert_problem(client.get(url, headers=headers), 404)


@pytest.mark.parametrize("storage_backend", ["s3"])
def test_s3_can_answer_with_a_short_lived_presigned_redirect(app_config, request,
                                                             storage_backend):
    app_config["S3_PRESIGNED_DOWNLOADS"] = True
    client = request.getfixturevalue("client")
    url, headers, _ = request.getfixturevalue("stored")(PDF, "résumé.pdf")

    response = client.get(url, headers=headers)

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    location = response.headers["Location"]
    assert "Expires=60" in location or "X-Amz-Expires=60" in location
    direct = requests.get(location, timeout=10)
    assert direct.status_code == 200
    assert direct.content == PDF
    assert direct.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in direct.headers["Content-Disposition"]


@pytest.mark.parametrize(("data", "name", "saved_as"), [
    # HTML uploaded as text: the browser must save it as text, not as a page that runs.
    (b"<p>hello</p> <script>alert(1)</script>", "page.html", "page.html.txt"),
    (b"just words\n", "NOTES.TXT", "NOTES.TXT"),
    (PDF, "report", "report.pdf"),
    (PDF, "report.exe", "report.exe.pdf"),
])
def test_an_attachment_ends_in_the_extension_of_its_detected_type(client, stored, data,
                                                                    name, saved_as):
    url, headers, body = stored(data, name)
    assert body["originalName"] == name  # the JSON keeps the client's name

    disposition = client.get(url, headers=headers).headers["Content-Disposition"]

    assert disposition == f"attachment; filename={saved_as}"


@pytest.mark.parametrize("name", ["a\uff02b.pdf", "a\uff3cb.pdf", "a\uff0fb.pdf",
                                  "\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fx.pdf"])
def test_the_ascii_fallback_never_makes_quotes_or_slashes_of_full_width_ones(
        client, stored, name):
    url, headers, _ = stored(PDF, name)

    disposition = client.get(url, headers=headers).headers["Content-Disposition"]

    fallback = disposition.split("; filename*=", 1)[0]
    assert fallback.startswith("attachment; filename=")
    value = fallback.removeprefix("attachment; filename=").strip('"')
    assert not set(value) & set('"\\/'), disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == name
