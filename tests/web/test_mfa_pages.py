"""The browser side of MFA: the sign-in form's code step, TOTP set-up on the profile page."""

from __future__ import annotations

import pytest

from tests.auth.mfa.helpers import LOGIN, LOGIN_MFA, enable_totp, mfa_token
from tests.factories import DEFAULT_PASSWORD


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


