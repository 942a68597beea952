"""Sensitive changes need a recent sign-in, not only a valid token (issue 20, finding 3b).

A stolen 15-minute access token must not be enough to add or remove a passkey, turn on
TOTP, create a personal token or change the email: each needs `current_password`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.settings import settings_of
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count
from tests.mfa.authenticator import SoftwareAuthenticator
from tests.mfa.test_passkeys import BASE, ORIGIN, register

WRONG = "not the password at all"
CHANGES = {
    "passkey": ("post", f"{BASE}/register/options", {}),
    "totp": ("post", "/api/v1/auth/mfa/totp", {}),
    "token": ("post", "/api/v1/auth/tokens", {"name": "x", "scopes": ["profile:read"]}),
    "email": ("post", "/api/v1/auth/email/change", {"new_email": "thief@example.net"}),
}


def send(client, headers: dict, change: str, **extra):
    method, path, body = CHANGES[change]
    return getattr(client, method)(path, headers=headers, json={**body, **extra})


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_token_alone_is_refused_naming_current_password(client, user, auth_headers, change):
    body = assert_problem(send(client, auth_headers(user), change), 422)

    assert "current_password" in body["errors"]
    assert row_count("webauthn_ceremonies") == row_count("personal_access_tokens") == 0
    assert row_count("mfa_totp") == row_count("mail_outbox") == 0


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_wrong_current_password_is_401(client, user, auth_headers, change):
    response = send(client, auth_headers(user), change, current_password=WRONG)

    assert "current password" in assert_problem(response, 401)["detail"]
    assert row_count("webauthn_ceremonies") == row_count("personal_access_tokens") == 0


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_right_current_password_is_enough(client, user, auth_headers, change):
    response = send(client, auth_headers(user), change, current_password=DEFAULT_PASSWORD)

    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)


def test_a_token_alone_cannot_remove_the_owners_passkey(client, user, auth_headers):
    headers = auth_headers(user)
    passkey = register(client, headers, SoftwareAuthenticator(ORIGIN)).get_json()

    missing = client.delete(f"{BASE}/{passkey['id']}", headers=headers)
    wrong = client.delete(f"{BASE}/{passkey['id']}", headers=headers,
                          json={"current_password": WRONG})

    assert "current_password" in assert_problem(missing, 422)["errors"]
    assert_problem(wrong, 401)
    assert [p["id"] for p in client.get(BASE, headers=headers).get_json()] == [passkey["id"]]



def _without_password(user) -> None:
    # No account lacks a password yet (provider sign-in is to come): make one by hand.
    from app.extensions import db
    user.password_hash = ""
    db.session.commit()


def test_without_a_password_a_fresh_session_is_a_recent_sign_in(client, user, auth_headers):
    _without_password(user)

    assert send(client, auth_headers(user), "token").status_code == 201


def test_without_a_password_an_old_session_is_refused(app, client, user, auth_headers):
    from app.db_types import utcnow
    from app.extensions import db
    from app.sessions.models import UserSession

    _without_password(user)
    headers = auth_headers(user)
    # Signed in longer ago than REAUTH_SECONDS: the token is still valid, the sign-in not recent.
    db.session.execute(sa.update(UserSession).values(
        created_at=utcnow() - timedelta(seconds=settings_of(app).accounts.reauth_seconds + 60)))
    db.session.commit()

    body = assert_problem(send(client, headers, "token"), 401)
    assert "current_password" in body["errors"]
    assert row_count("personal_access_tokens") == 0
