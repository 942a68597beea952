"""A refused form shows its own page again: the message, errors beside fields, kept values."""

from __future__ import annotations

import io
import re

from app.settings import replace_settings
from tests.helpers import row_count

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PASSWORD = "correct horse battery"


def sign_in(client, email: str = "ada@example.com") -> str:
    """Sign in through the HTML form; return the CSRF token of the cookie session."""
    response = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": email, "password": PASSWORD, "next": "/profile"})
    assert response.status_code == 303
    return client.get_cookie("csrf_access_token").value


def field_error(body: str, input_id: str) -> str:
    """The message shown under one input, or ''."""
    found = re.search(rf'<p class="field-error" id="{input_id}-error">([^<]*)</p>', body)
    return found.group(1) if found else ""


def test_wrong_password_shows_the_sign_in_form_again_as_401(client, user):
    response = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": "ada@example.com", "password": "wrong password", "next": "/profile"})

    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert 'id="login-form"' in body
    assert "<title>Sign in · Signet</title>" in body
    assert "The email or password is incorrect." in body
    assert 'value="ada@example.com"' in body  # the address is kept ...
    assert "wrong password" not in body  # ... the password never is
    assert ">Back<" not in body and "Unauthorized" not in body
    assert not response.headers.getlist("Set-Cookie")


def test_field_errors_appear_beside_their_fields_once(client):
    response = client.post("/api/v1/auth/register", headers=HTML, data={
        "name": "Ann Browser", "email": "ann@example.com", "password": "short",
        "next": "/login?notice=registered"})

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="register-form"' in body
    message = field_error(body, "password")
    assert message and "8" in message
    assert body.count(message) == 1  # beside the field only, not repeated in a list
    assert "password:" not in body and "Please check the form" not in body
    assert 'aria-describedby="password-error"' in body
    assert 'value="Ann Browser"' in body and 'value="ann@example.com"' in body
    assert 'value="short"' not in body
    assert row_count("users") == 0


def test_taken_email_shows_the_registration_form_again_as_409(client, user):
    response = client.post("/api/v1/auth/register", headers=HTML, data={
        "name": "Other Ada", "email": "ADA@example.com", "password": "ann-browser-2026",
        "next": "/login"})

    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert 'id="register-form"' in body
    assert "An account with this email already exists." in body
    assert 'value="Other Ada"' in body


def test_wrong_current_password_shows_the_profile_with_the_error_at_its_form(client, user):
    csrf = sign_in(client)
    response = client.post("/profile/delete", headers=HTML, data={
        "csrf_token": csrf, "current_password": "not my password",
        "next": "/login?notice=account_deleted"})

    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert 'id="profile-name"' in body  # the profile page, still signed in
    form = body[body.index('id="delete-account-form"'):]
    assert 'role="alert"' in form[:form.index("</form>")]
    assert "not my password" not in body
    assert row_count("users") == 1


def test_a_refused_token_form_keeps_its_token(client):
    response = client.post("/api/v1/auth/password/reset", headers=HTML, data={
        "token": "no-such-token", "new_password": "a new password 2026",
        "next": "/login?notice=password_reset"})

    assert response.status_code in (400, 401, 404, 410, 422)
    body = response.get_data(as_text=True)
    assert 'id="reset-form"' in body and 'value="no-such-token"' in body
    assert "a new password 2026" not in body


def test_error_result_page_has_the_signed_in_top_bar(client, user):
    csrf = sign_in(client)
    # A form with no page of its own: the password change, refused for a wrong password.
    response = client.post("/api/v1/auth/password", headers=HTML, data={
        "csrf_token": csrf, "current_password": "not my password",
        "new_password": "a new password 2026", "next": "/profile"})

    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert 'id="sign-out"' in body
    assert ">Register<" not in body


def test_a_wrong_code_shows_the_code_form_again_with_the_same_sign_in(
        client, user, auth_headers):
    from tests.mfa.helpers import enable_totp

    authenticator, _codes = enable_totp(client, auth_headers(user))
    first = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": user.email, "password": PASSWORD, "next": "/profile"})
    token = first.get_data(as_text=True).split('name="mfa_token" value="')[1].split('"')[0]

    wrong = client.post("/api/v1/auth/login/mfa", headers=HTML, data={
        "mfa_token": token, "code": "000000", "next": "/profile"})

    assert wrong.status_code == 401
    body = wrong.get_data(as_text=True)
    assert 'id="mfa-code-form"' in body and 'role="alert"' in body
    assert f'name="mfa_token" value="{token}"' in body
    assert 'value="000000"' not in body
    right = client.post("/api/v1/auth/login/mfa", headers=HTML, data={
        "mfa_token": token, "code": authenticator.code(), "next": "/profile"})
    assert right.status_code == 303


def test_an_oversized_upload_of_a_signed_in_user_is_an_html_413(client, app, user):
    csrf = sign_in(client)
    replace_settings(app, MAX_CONTENT_LENGTH=1024)
    response = client.post("/api/v1/files", headers=HTML, content_type="multipart/form-data",
                           data={"csrf_token": csrf, "next": "/files?notice=uploaded",
                                 "file": (io.BytesIO(b"x" * 4096), "big.txt")})

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "larger than this service accepts" in response.get_data(as_text=True)
