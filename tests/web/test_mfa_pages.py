"""The browser side of MFA: the sign-in form's code step, TOTP set-up on the profile page."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.mfa.helpers import LOGIN, LOGIN_MFA, Authenticator, enable_totp, mfa_token
from tests.web.test_form_posts import HTML, sign_in


@pytest.fixture
def mfa_user(client, user, auth_headers):
    """Ada, with TOTP on: (user, authenticator, recovery codes)."""
    app, codes = enable_totp(client, auth_headers(user))
    return user, app, codes


def test_the_browser_form_continues_to_a_code_form_without_cookies(client, mfa_user):
    user, app, _codes = mfa_user

    response = client.post(LOGIN, data={"email": user.email, "password": DEFAULT_PASSWORD,
                                        "next": "/profile"}, headers={"Accept": "text/html"})

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert 'action="/api/v1/auth/login/mfa"' in html
    token = html.split('name="mfa_token" value="')[1].split('"')[0]

    done = client.post(LOGIN_MFA, data={"mfa_token": token, "code": app.code(),
                                        "next": "/profile"}, headers={"Accept": "text/html"})

    assert done.status_code == 303 and done.headers["Location"] == "/profile"
    cookies = " ".join(done.headers.getlist("Set-Cookie"))
    assert "access_token_cookie=" in cookies and "refresh_token_cookie=" in cookies
    assert client.get("/profile").status_code == 200


def test_the_code_form_refuses_a_post_from_another_site(client, mfa_user):
    user, app, _codes = mfa_user
    response = client.post(LOGIN_MFA, data={"mfa_token": mfa_token(client, user.email),
                                            "code": app.code()},
                           headers={"Accept": "text/html", "Origin": "https://evil.example"})
    assert response.status_code == 403




def test_profile_sets_up_totp_shows_the_qr_code_then_the_recovery_codes(client, user):

    csrf = sign_in(client)
    profile = client.get("/profile").get_data(as_text=True)
    assert 'id="mfa-status">Off.' in profile and 'action="/api/v1/auth/mfa/totp"' in profile

    setup = client.post("/api/v1/auth/mfa/totp", headers=HTML, data={
        "current_password": DEFAULT_PASSWORD, "csrf_token": csrf})

    assert setup.status_code == 200 and setup.mimetype == "text/html"
    assert setup.headers["Cache-Control"] == "no-store"
    page = setup.get_data(as_text=True)
    assert '<div class="qr" id="totp-qr"><svg' in page
    secret = page.split('<code id="totp-secret">')[1].split("<")[0]

    confirm = client.post("/api/v1/auth/mfa/totp/confirm", headers=HTML, data={
        "code": Authenticator(secret).code(), "csrf_token": csrf})

    assert confirm.status_code == 200 and confirm.headers["Cache-Control"] == "no-store"
    codes = confirm.get_data(as_text=True).split('<ol id="recovery-codes">')[1]
    assert codes.count("<li><code>") == 10
    assert 'id="mfa-status">On' in client.get("/profile").get_data(as_text=True)


def test_a_wrong_setup_password_is_an_html_error_page(client, user):
    csrf = sign_in(client)
    response = client.post("/api/v1/auth/mfa/totp", headers=HTML, data={
        "current_password": "wrong password", "csrf_token": csrf})

    assert response.status_code == 401 and response.mimetype == "text/html"
    assert "secret" not in response.get_data(as_text=True)


def test_the_setup_form_needs_the_csrf_token(client, user):
    sign_in(client)
    response = client.post("/api/v1/auth/mfa/totp", headers=HTML, data={
        "current_password": DEFAULT_PASSWORD})

    assert response.status_code == 401


def test_profile_lists_passkeys_and_loads_only_the_webauthn_script(client, user):
    sign_in(client)
    page = client.get("/profile").get_data(as_text=True)

    assert 'id="passkey-register"' in page and "No passkey yet." in page
    assert page.count("<script") == 1
    assert '<script src="/static/signet-webauthn.js" defer></script>' in page
    login_page = client.get("/login").get_data(as_text=True)
    assert 'id="passkey-sign-in"' in login_page
    assert 'action="/api/v1/auth/passkeys/login/verify"' in login_page
