"""Every route that checks a password, and every route that sends mail, is rate limited.

Issue 20, finding 6: `POST /auth/mfa/totp` with the right password cost a bcrypt (and a
new secret) per request without end; `POST /auth/email/change` mailed without end.
"""

from __future__ import annotations

import pytest

from tests.auth.test_rate_limits import assert_rate_limited
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

PROOF = {"current_password": DEFAULT_PASSWORD}


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      PASSWORD_CHECK_RATE_LIMIT="3 per minute",
                      MAIL_REQUEST_RATE_LIMIT="2 per minute")
    return app_config


def test_right_passwords_on_totp_setup_are_limited_per_account(limited, client, users,
                                                               auth_headers):
    user, other = users.create(), users.create()
    headers = auth_headers(user)
    for _ in range(3):
        assert client.post("/api/v1/auth/mfa/totp", headers=headers,
                           json=PROOF).status_code == 200

    assert_rate_limited(client.post("/api/v1/auth/mfa/totp", headers=headers, json=PROOF),
                        "Too many password-checked changes")
    assert client.post("/api/v1/auth/mfa/totp", headers=auth_headers(other),
                       json=PROOF).status_code == 200


def test_one_bucket_for_every_password_checked_route(limited, client, user, auth_headers):
    headers = auth_headers(user)
    assert client.post("/api/v1/auth/mfa/totp", headers=headers, json=PROOF).status_code == 200
    assert client.post("/api/v1/auth/passkeys/register/options", headers=headers,
                       json=PROOF).status_code == 200
    assert client.post("/api/v1/auth/email/change", headers=headers, json={
        "new_email": "new@example.com", **PROOF}).status_code == 202

    for path, body in [("/api/v1/auth/tokens", {"name": "x", "scopes": ["profile:read"]}),
                       ("/api/v1/auth/email/change", {"new_email": "new@example.com"}),
                       ("/api/v1/auth/password", {"new_password": "another long secret"})]:
        assert_rate_limited(client.post(path, headers=headers, json={**body, **PROOF}),
                            "Too many password-checked changes")


def test_mail_sending_token_routes_are_limited_per_client(limited, client):
    for _ in range(2):
        assert_problem(client.post("/api/v1/auth/password/reset", json={
            "token": "x" * 43, "new_password": "a long new secret"}), 422)

    assert_rate_limited(client.post("/api/v1/auth/email/change/confirm",
                                    json={"token": "x" * 43}),
                        "Too many requests that send mail")


def test_invitations_are_limited_per_admin(limited, client, admin, auth_headers):
    headers = auth_headers(admin)
    for n in range(2):
        assert client.post("/api/v1/users/invitations", headers=headers, json={
            "name": f"Guest {n}", "email": f"guest{n}@example.com"}).status_code == 201

    assert_rate_limited(client.post("/api/v1/users/invitations", headers=headers, json={
        "name": "Guest", "email": "guest9@example.com"}), "Too many requests that send mail")
