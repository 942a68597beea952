"""The server-rendered pages: what a visitor sees signed out and signed in."""

from __future__ import annotations

import io

import pytest

from app.pagination import encode_cursor
from tests.factories import image_bytes
from tests.web.test_form_posts import HTML, sign_in


@pytest.mark.parametrize("path", ["/", "/register", "/login"])
def test_public_pages_render_for_anonymous_visitors(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert 'href="/static/signet.css"' in response.get_data(as_text=True)


def test_register_page_posts_multipart_with_a_file_input_and_a_next(client):
    body = client.get("/register").get_data(as_text=True)
    assert 'action="/api/v1/auth/register"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'type="file"' in body and 'name="profile_image"' in body
    assert 'name="next" value="/login?notice=registered"' in body


@pytest.mark.parametrize("path", ["/profile", "/files"])
def test_signed_in_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"


def test_invalid_or_foreign_cookie_counts_as_signed_out(client):
    client.set_cookie("access_token_cookie", "not-a-jwt")
    assert client.get("/profile").status_code == 303


def test_profile_shows_the_user_their_image_and_a_csrf_protected_sign_out(client, db):
    client.post("/api/v1/auth/register", headers=HTML, content_type="multipart/form-data",
                data={"name": "Ann <b>Browser</b>", "email": "ann@example.com",
                      "password": "correct horse battery", "next": "/login",
                      "profile_image": (io.BytesIO(image_bytes("PNG")), "me.png")})
    csrf = sign_in(client, "ann@example.com")
    assert client.get("/").headers["Location"] == "/profile"
    body = client.get("/profile").get_data(as_text=True)
    assert "Ann &lt;b&gt;Browser&lt;/b&gt;" in body  # escaped, never markup
    assert "ann@example.com" in body
    image_url = client.get("/api/v1/auth/me").get_json()["profileImageUrl"]
    assert f'src="{image_url}"' in body
    assert f'name="csrf_token" value="{csrf}"' in body
    assert 'action="/api/v1/auth/logout"' in body


def test_notice_shows_only_fixed_sentences(client):
    assert "Your account was created." in client.get(
        "/login?notice=registered").get_data(as_text=True)
    assert "<script>" not in client.get(
        "/login?notice=<script>alert(1)</script>").get_data(as_text=True)


def test_files_page_uploads_through_the_api_and_lists_the_file(client, user, upload_dir):
    csrf = sign_in(client)
    page = client.get("/files").get_data(as_text=True)
    assert 'action="/api/v1/files"' in page and "No files yet." in page
    response = client.post("/api/v1/files", headers=HTML, content_type="multipart/form-data",
                           data={"csrf_token": csrf, "next": "/files?notice=uploaded",
                                 "file": (io.BytesIO(b"hello browser\n"), "notes.txt")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/files?notice=uploaded"
    page = client.get("/files?notice=uploaded").get_data(as_text=True)
    assert "Your file was uploaded." in page
    assert "notes.txt" in page and "text/plain" in page
    file_url = client.get("/api/v1/files").get_json()["items"][0]["url"]
    assert f'href="{file_url}"' in page
    assert client.get(file_url).get_data() == b"hello browser\n"


def test_wrong_file_type_from_the_files_page_is_an_html_415(client, user):
    csrf = sign_in(client)
    response = client.post("/api/v1/files", headers=HTML, content_type="multipart/form-data",
                           data={"csrf_token": csrf, "next": "/files",
                                 "file": (io.BytesIO(b"\x7fELF\x02\x01\x01" + b"\0" * 64),
                                          "tool.png")})
    assert response.status_code == 415
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("cursor", ["not-a-cursor", encode_cursor(10**20)])
def test_files_page_ignores_a_bad_cursor(client, user, cursor):
    sign_in(client)
    assert client.get("/files", query_string={"cursor": cursor}).status_code == 200


def test_pages_and_form_results_forbid_scripts_and_framing(client):
    page = client.get("/login")
    result = client.post("/api/v1/auth/register", headers=HTML, data={"next": "/login"})
    for response in (page, result):
        assert response.mimetype == "text/html"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        # The WebAuthn file in static/ only: no inline script, no eval, no other host.
        assert "script-src 'self';" in policy and "connect-src 'self';" in policy
        assert "unsafe" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
    docs = client.get("/docs")
    assert "script-src 'self';" in docs.headers["Content-Security-Policy"]  # own policy
    assert "Content-Security-Policy" not in client.get("/healthz").headers
