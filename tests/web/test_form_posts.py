"""HTML form posts: 303 to a same-origin `next`, HTML result pages, cookie sessions."""

from __future__ import annotations

import io

import pytest

from app.settings import replace_settings
from app.web import forms
from tests.factories import image_bytes
from tests.helpers import assert_problem, row_count, stored_blobs

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML = {"Accept": BROWSER_ACCEPT}
PASSWORD = "correct horse battery"


def register_form(**overrides) -> dict:
    """Fields of the registration form as a browser posts them."""
    return {"name": "Ann Browser", "email": "ann@example.com", "password": "ann-browser-2026",
            **overrides}


def sign_in(client, email: str = "ada@example.com") -> str:
    """Sign in through the HTML form; return the CSRF token of the cookie session."""
    response = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": email, "password": PASSWORD, "next": "/profile"})
    assert response.status_code == 303
    return client.get_cookie("csrf_access_token").value


def test_form_registration_with_image_redirects_to_next(client, db, upload_dir):
    response = client.post("/api/v1/auth/register", headers=HTML,
                           content_type="multipart/form-data", data=register_form(
                               profile_image=(io.BytesIO(image_bytes("PNG")), "me.png"),
                               next="/login?notice=registered"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?notice=registered"
    assert row_count("users") == 1
    assert len(stored_blobs(upload_dir)) == 1


def test_form_success_without_next_renders_a_result_page(client):
    response = client.post("/api/v1/auth/register", headers=HTML, data=register_form())
    assert response.status_code == 201
    assert response.mimetype == "text/html"
    assert "Your request was carried out." in response.get_data(as_text=True)


@pytest.mark.parametrize("next_value", [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "evil.example/profile",
    "/profile\r\nSet-Cookie: x=1",
    " //evil.example",
])
def test_foreign_next_is_refused_before_anything_happens(client, next_value):
    response = client.post("/api/v1/auth/register", headers=HTML,
                           data=register_form(next=next_value))
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Location" not in response.headers
    body = response.get_data(as_text=True)
    assert "Must be a path on this site" in body
    assert row_count("users") == 0


@pytest.mark.parametrize("next_value", ["/profile", "/files?notice=uploaded", "/a/b#frag"])
def test_same_origin_paths_are_followed(client, next_value):
    response = client.post("/api/v1/auth/register", headers=HTML,
                           data=register_form(next=next_value))
    assert response.status_code == 303
    assert response.headers["Location"] == next_value


def test_field_errors_are_shown_on_an_html_page(client):
    response = client.post("/api/v1/auth/register", headers=HTML, data=register_form(
        email="not-an-email", password="short", next="/login"))
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert 'id="email-error"' in body  # beside each field of the form shown again
    assert 'id="password-error"' in body
    assert row_count("users") == 0


def test_duplicate_email_is_an_html_conflict_page(client, user):
    response = client.post("/api/v1/auth/register", headers=HTML,
                           data=register_form(email="ADA@example.com", next="/login"))
    assert response.status_code == 409
    assert "An account with this email already exists." in response.get_data(as_text=True)


def test_error_page_back_link_only_points_to_this_site(client):
    own = client.post("/api/v1/auth/register", data=register_form(email="bad"),
                      headers={**HTML, "Referer": "http://localhost/register"})
    foreign = client.post("/api/v1/auth/register", data=register_form(email="bad"),
                          headers={**HTML, "Referer": "https://evil.example/register"})
    assert 'href="/register"' in own.get_data(as_text=True)
    assert "evil.example" not in foreign.get_data(as_text=True)


@pytest.mark.parametrize("referer", ["http://[", "http://[::1"])
def test_error_page_survives_a_referer_that_is_not_a_url(client, referer):
    response = client.post("/api/v1/auth/register", data=register_form(email="bad"),
                           headers={**HTML, "Referer": referer})

    assert response.status_code == 422
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("headers", [
    {},
    {"Accept": "*/*"},
    {"Accept": "application/json"},
    {"Accept": "application/json, text/html;q=0.5"},
])
def test_api_clients_keep_getting_json(client, headers):
    created = client.post("/api/v1/auth/register", headers=headers,
                          data=register_form(next="/profile"))
    assert created.status_code == 201
    assert created.is_json and created.get_json()["email"] == "ann@example.com"
    duplicate = client.post("/api/v1/auth/register", headers=headers,
                            data=register_form(next="https://evil.example/"))
    assert_problem(duplicate, 409)


def test_json_body_from_a_browser_is_not_treated_as_a_form(client):
    response = client.post("/api/v1/auth/register", headers=HTML,
                           json=register_form(next="https://evil.example/"))
    assert response.status_code == 201
    assert response.is_json


def test_form_login_sets_httponly_cookies_and_redirects(client, user):
    response = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": "ada@example.com", "password": PASSWORD, "next": "/profile"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "HttpOnly" in cookies["access_token_cookie"]
    assert "HttpOnly" in cookies["refresh_token_cookie"]
    assert "HttpOnly" not in cookies["csrf_access_token"]  # read by the page's forms
    assert "access_token" not in response.get_data(as_text=True)


@pytest.mark.parametrize("source", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame on another site posts with Origin: null
    {"Origin": "http://localhost.evil.example"},
    {"Origin": "http://["},  # not even a URL
    {"Referer": "https://evil.example/login"},
])
def test_sign_in_form_posted_from_another_site_sets_no_cookies(client, user, source):
    # Login CSRF: another site's form must not sign the visitor into the attacker's account.
    response = client.post("/api/v1/auth/login", headers={**HTML, **source}, data={
        "email": "ada@example.com", "password": PASSWORD, "next": "/profile"})

    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert not response.headers.getlist("Set-Cookie")
    assert client.get("/profile").status_code == 303  # still signed out


@pytest.mark.parametrize("source", [
    {"Origin": "http://localhost"},
    {"Referer": "http://localhost/login"},
    {},  # neither header: not a browser form (browsers send Origin on every form POST)
])
def test_sign_in_form_from_this_site_still_signs_in(client, user, source):
    response = client.post("/api/v1/auth/login", headers={**HTML, **source}, data={
        "email": "ada@example.com", "password": PASSWORD, "next": "/profile"})

    assert response.status_code == 303
    assert client.get("/profile").status_code == 200


@pytest.mark.parametrize("body", ["json", "data"])
def test_api_login_from_another_origin_is_unchanged(client, user, body):
    # No cookies are set for API clients, so where they run from does not matter.
    response = client.post("/api/v1/auth/login", headers={"Origin": "https://app.example"},
                           **{body: {"email": "ada@example.com", "password": PASSWORD}})

    assert response.status_code == 200
    assert response.get_json()["token_type"] == "Bearer"
    assert not response.headers.getlist("Set-Cookie")


def test_wrong_password_in_a_form_is_an_html_401_without_cookies(client, user):
    response = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": "ada@example.com", "password": "wrong password", "next": "/profile"})
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    assert "The email or password is incorrect." in response.get_data(as_text=True)
    assert not response.headers.getlist("Set-Cookie")


def test_cookie_session_reads_the_api_and_bearer_clients_are_unchanged(
        client, user, auth_headers):
    sign_in(client)
    assert client.get("/api/v1/auth/me").get_json()["email"] == "ada@example.com"
    bearer = client.application.test_client()
    assert bearer.get("/api/v1/auth/me", headers=auth_headers(user)).status_code == 200
    assert_problem(bearer.get("/api/v1/auth/me"), 401)


@pytest.mark.parametrize("csrf", [None, "wrong-token"])
def test_cookie_writes_without_the_matching_csrf_token_are_refused(client, user, csrf):
    sign_in(client)
    data = {"next": "/login"} if csrf is None else {"next": "/login", "csrf_token": csrf}
    response = client.post("/api/v1/auth/logout", headers=HTML, data=data)
    assert response.status_code == 401
    assert "CSRF token" in response.get_data(as_text=True)
    assert client.get("/api/v1/auth/me").status_code == 200  # still signed in


def test_form_logout_clears_cookies_and_revokes_the_token(client, user):
    csrf = sign_in(client)
    token = client.get_cookie("access_token_cookie").value
    response = client.post("/api/v1/auth/logout", headers=HTML,
                           data={"csrf_token": csrf, "next": "/login?notice=signed_out"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?notice=signed_out"
    assert client.get_cookie("access_token_cookie") is None
    revoked = client.application.test_client().get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(revoked, 401)


def test_oversized_form_is_an_html_413(client, app):
    replace_settings(app, MAX_CONTENT_LENGTH=1024)
    response = client.post("/api/v1/auth/register", headers=HTML,
                           content_type="multipart/form-data", data=register_form(
                               profile_image=(io.BytesIO(b"x" * 4096), "big.png"),
                               next="/login"))
    assert response.status_code == 413
    assert response.mimetype == "text/html"


def test_cross_site_refresh_form_is_left_to_the_cookie_csrf_check(client, user):
    # /refresh documents no 403: without the session's CSRF token it is already a 401.
    sign_in(client)

    response = client.post("/api/v1/auth/refresh", data={"next": "/profile"},
                           headers={**HTML, "Origin": "https://evil.example"})

    assert response.status_code == 401
    assert not response.headers.getlist("Set-Cookie")


def test_every_endpoint_the_form_layer_names_exists(app):
    """Renaming a route must fail here, not silently break browser sign-in or sign-out."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    named = {*forms.SIGN_IN_ENDPOINTS, *forms.SESSION_END_ENDPOINTS,
             *forms.FORM_PAGES, *forms.FORM_PAGES.values(), *forms.OTHER_FORM_PAGES,
             *(page for pages in forms.OTHER_FORM_PAGES.values() for page in pages)}
    assert named <= endpoints, f"unknown endpoints in app/web/forms.py: {named - endpoints}"


def test_refresh_from_a_form_renews_the_cookies_from_the_issued_pair(client, user):
    """Cookies come from the pair the endpoint issued, not from re-reading its JSON body."""
    sign_in(client, user.email)
    old_access = client.get_cookie("access_token_cookie").value
    csrf = client.get_cookie("csrf_refresh_token").value
    response = client.post("/api/v1/auth/refresh", data={"csrf_token": csrf, "next": "/profile"},
                           headers=HTML)
    assert response.status_code == 303
    assert client.get_cookie("access_token_cookie").value != old_access
    assert client.get("/api/v1/auth/me").status_code == 200
