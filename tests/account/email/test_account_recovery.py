"""Account recovery clears what a stranger could have planted (issue 20, finding 3a).

A stranger registers the victim's address first (verification is optional by default),
adds a passkey and a personal token, and waits. The victim later "recovers" the account
with the mailed link of forgot-password (or verifies the address): nothing the stranger
added may still sign in.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.sessions.models import UserSession
from tests.account.email.conftest import PUBLIC_BASE_URL
from tests.account.email.test_password_reset import RESET, forgot
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count
from tests.mfa.authenticator import SoftwareAuthenticator
from tests.mfa.test_passkeys import BASE, register
from tests.mfa.test_passkeys import sign_in as passkey_sign_in

VICTIM = "victim@example.com"
STRANGER_PASSWORD = "mallory's own secret"
VICTIM_PASSWORD = "an entirely fresh secret"
ME = "/api/v1/auth/me"
TOKENS = "/api/v1/auth/tokens"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def reset_mail(mailbox, to: str):
    """The one reset message among the new mail (notices of the planted changes aside)."""
    [mail] = [m for m in mailbox.new() if m.to == to and m.subject.startswith("Reset")]
    return mail


def login(client, password: str) -> dict:
    response = client.post("/api/v1/auth/login", json={"email": VICTIM, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def planted(client, mailbox) -> dict:
    """The stranger's account on the victim's address: a session, a passkey and a token."""
    response = client.post("/api/v1/auth/register", json={
        "name": "Mallory", "email": VICTIM, "password": STRANGER_PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)
    verification = mailbox.one(to=VICTIM)  # the stranger cannot read it; the victim can
    headers = bearer(login(client, STRANGER_PASSWORD)["access_token"])
    device = SoftwareAuthenticator(PUBLIC_BASE_URL)
    added = register(client, headers, device, password=STRANGER_PASSWORD)
    assert added.status_code == 201, added.get_data(as_text=True)
    token = client.post(TOKENS, headers=headers, json={
        "name": "backdoor", "scopes": ["profile:read"], "current_password": STRANGER_PASSWORD})
    assert token.status_code == 201, token.get_data(as_text=True)
    assert passkey_sign_in(client, device).status_code == 200  # it works, before recovery
    return {"device": device, "headers": headers, "pat": token.get_json()["token"],
            "verification": verification.token}


def assert_nothing_planted_survives(client, planted) -> None:
    assert_problem(passkey_sign_in(client, planted["device"]), 401)
    assert_problem(client.get(ME, headers=planted["headers"]), 401)
    assert_problem(client.get(ME, headers=bearer(planted["pat"])), 401)
    assert row_count("passkeys") == 0 and row_count("personal_access_tokens") == 0


def test_a_reset_by_the_mailbox_owner_removes_the_strangers_passkey(client, mailbox, planted):
    assert forgot(client, VICTIM).status_code == 202
    token = reset_mail(mailbox, VICTIM).token

    assert client.post(RESET, json={"token": token,
                                    "new_password": VICTIM_PASSWORD}).status_code == 204

    assert_nothing_planted_survives(client, planted)
    # The victim signs in with the password alone: no second factor of the stranger's.
    victim = bearer(login(client, VICTIM_PASSWORD)["access_token"])
    me = client.get(ME, headers=victim).get_json()
    assert me["emailVerified"] is True and me["mfaEnabled"] is False
    assert client.get(BASE, headers=victim).get_json() == []
    assert client.get(TOKENS, headers=victim).get_json() == {"items": []}
    sessions = client.get("/api/v1/auth/sessions", headers=victim).get_json()["items"]
    assert [s["current"] for s in sessions] == [True]


def test_verifying_the_address_removes_the_strangers_passkey(client, mailbox, planted):
    response = client.post("/api/v1/auth/verify-email", json={"token": planted["verification"]})

    assert response.status_code == 200 and response.get_json()["emailVerified"] is True
    assert_nothing_planted_survives(client, planted)


def test_the_strangers_totp_goes_too(client, mailbox, planted):
    from tests.mfa.helpers import enable_totp

    enable_totp(client, planted["headers"], password=STRANGER_PASSWORD)
    assert forgot(client, VICTIM).status_code == 202
    token = reset_mail(mailbox, VICTIM).token

    assert client.post(RESET, json={"token": token,
                                    "new_password": VICTIM_PASSWORD}).status_code == 204

    assert row_count("mfa_totp") == 0 and row_count("mfa_recovery_codes") == 0
    assert "access_token" in login(client, VICTIM_PASSWORD)  # no mfa_required


def test_a_verified_owners_reset_ends_sessions_and_tokens_but_keeps_passkeys(
        client, mailbox, user, auth_headers, db):
    from app.db_types import utcnow

    user.email_verified_at = utcnow()
    db.session.commit()
    headers = auth_headers(user)
    device = SoftwareAuthenticator(PUBLIC_BASE_URL)
    assert register(client, headers, device).status_code == 201
    pat = client.post(TOKENS, headers=headers, json={
        "name": "ci", "scopes": ["profile:read"], "current_password": DEFAULT_PASSWORD})
    assert forgot(client, user.email).status_code == 202
    token = reset_mail(mailbox, user.email).token

    assert client.post(RESET, json={"token": token,
                                    "new_password": VICTIM_PASSWORD}).status_code == 204

    assert_problem(client.get(ME, headers=headers), 401)
    assert_problem(client.get(ME, headers=bearer(pat.get_json()["token"])), 401)
    assert row_count("personal_access_tokens") == 0
    db.session.rollback()
    live = db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                             .where(UserSession.ended_at.is_(None)))
    assert live == 0
    # The owner had proven the mailbox before: their own passkey stays.
    assert passkey_sign_in(client, device).status_code == 200
