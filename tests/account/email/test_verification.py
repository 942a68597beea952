"""Registration mails a verification link; POST /auth/verify-email and its resend."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.account.models import EmailToken
from app.db_types import utcnow
from app.extensions import db
from app.settings import replace_settings
from app.users.models import User
from tests.account.email.conftest import ENCODINGS, PUBLIC_BASE_URL, post
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"
LOGIN = "/api/v1/auth/login"
INVALID = ["This link is invalid or has expired; ask for a new one."]


def register(client, email="newcomer@example.com", **headers):
    response = client.post(REGISTER, json={"name": "New Comer", "email": email,
                                           "password": DEFAULT_PASSWORD}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_registration_mails_a_verification_link(client, mailbox):
    body = register(client)

    assert body["emailVerified"] is False
    mail = mailbox.one()
    assert mail.to == "newcomer@example.com"
    assert mail.subject == "Verify your email address for Signet"
    assert mail.link.startswith(f"{PUBLIC_BASE_URL}/verify-email?token=")
    # Mail to an unconfirmed address never greets by the name the registrant chose.
    assert mail.text.startswith("Hello,\n") and "New Comer" not in mail.text
    assert "24 hours" in mail.text
    assert f'href="{mail.link}"' in mail.html and "Verify my address" in mail.html
    assert len(mail.token) >= 43  # 256 bits, URL-safe base64


def test_only_the_hash_of_the_token_is_stored(client, mailbox):
    register(client)
    token = mailbox.one().token

    stored = db.session.execute(sa.select(EmailToken)).scalar_one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.purpose == "verify_email" and stored.used_at is None
    assert stored.email == "newcomer@example.com"


def test_a_forged_host_never_reaches_the_link(client, mailbox):
    register(client, Host="evil.example", **{"X-Forwarded-Host": "evil.example"})

    mail = mailbox.one()
    assert "evil.example" not in mail.text and "evil.example" not in mail.html
    assert mail.link.startswith(PUBLIC_BASE_URL)


def test_registration_with_verification_off_mails_nothing(app, client, mailbox):
    replace_settings(app, EMAIL_VERIFICATION="off")
    register(client)

    assert mailbox.new() == []
    assert row_count("email_tokens") == 0


def test_a_refused_registration_leaves_no_message(client, user, mailbox):
    response = client.post(REGISTER, json={"name": "Dup", "email": "ADA@example.com",
                                           "password": DEFAULT_PASSWORD})

    assert_problem(response, 409)
    assert mailbox.new() == [] and row_count("mail_outbox") == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_token_verifies_the_address_once(client, mailbox, encoding):
    register(client)
    token = mailbox.one().token

    response = post(client, VERIFY, {"token": token}, encoding)

    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == "newcomer@example.com" and body["emailVerified"] is True
    assert db.session.scalar(sa.select(User.email_verified_at)) is not None
    replay = assert_problem(post(client, VERIFY, {"token": token}, encoding), 422)
    assert replay["errors"] == {"token": INVALID}


@pytest.mark.parametrize("token", ["", "garbage", "x" * 43, "x" * 128, "x" * 129, "é" * 50])
def test_garbage_tokens_are_422_on_token(client, token):
    body = assert_problem(client.post(VERIFY, json={"token": token}), 422)

    assert set(body["errors"]) == {"token"}


def test_a_missing_token_is_422_on_token(client):
    body = assert_problem(client.post(VERIFY, json={}), 422)

    assert set(body["errors"]) == {"token"}


def test_an_expired_token_is_422(client, mailbox):
    register(client)
    token = mailbox.one().token
    db.session.execute(sa.update(EmailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    assert assert_problem(client.post(VERIFY, json={"token": token}), 422)["errors"] == {
        "token": INVALID}


def test_a_verification_token_is_not_a_reset_token(client, mailbox):
    register(client)
    token = mailbox.one().token

    response = client.post("/api/v1/auth/password/reset",
                           json={"token": token, "new_password": "a brand new secret"})

    assert assert_problem(response, 422)["errors"] == {"token": INVALID}
    assert client.post(VERIFY, json={"token": token}).status_code == 200


def test_resend_mails_a_new_link_and_both_work_until_one_is_used(
        client, user, auth_headers, mailbox):
    response = client.post(RESEND, headers=auth_headers(user))

    assert response.status_code == 202
    assert response.get_json() == {"detail": "A new verification link is on its way."}
    mail = mailbox.one()
    assert mail.to == "ada@example.com" and mail.subject.startswith("Verify your email")
    assert client.post(VERIFY, json={"token": mail.token}).status_code == 200
    assert_problem(client.post(RESEND, headers=auth_headers(user)), 409)
    assert mailbox.new() == []


def test_resend_needs_a_token(client):
    assert_problem(client.post(RESEND), 401)


def test_resend_is_rate_limited_per_account(rate_limited, client, user, users, auth_headers):
    headers = auth_headers(user)

    statuses = [client.post(RESEND, headers=headers).status_code for _ in range(3)]

    assert statuses == [202, 202, 429]
    assert int(client.post(RESEND, headers=headers).headers["Retry-After"]) > 0
    assert client.post(RESEND, headers=auth_headers(users.create())).status_code == 202


def test_a_link_to_an_address_the_account_left_is_dead(client, user, mailbox):
    client.post(RESEND, headers=_headers(client, user))
    token = mailbox.one().token
    user.email = "moved@example.com"
    db.session.commit()

    assert_problem(client.post(VERIFY, json={"token": token}), 422)


def _headers(client, user) -> dict:
    response = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


class TestRequiredMode:
    """EMAIL_VERIFICATION=required: an unverified account signs in only once verified."""

    @pytest.fixture(autouse=True)
    def required(self, app):
        replace_settings(app, EMAIL_VERIFICATION="required")

    def test_unverified_login_is_403_email_not_verified_after_a_correct_password(
            self, client, mailbox):
        register(client)
        token = mailbox.one().token

        response = client.post(LOGIN, json={"email": "newcomer@example.com",
                                            "password": DEFAULT_PASSWORD})

        assert response.status_code == 403 and response.mimetype == "application/problem+json"
        assert response.get_json()["type"].endswith("email-not-verified")
        wrong = client.post(LOGIN, json={"email": "newcomer@example.com",
                                         "password": "not the password"})
        assert_problem(wrong, 401)
        assert client.post(VERIFY, json={"token": token}).status_code == 200
        assert client.post(LOGIN, json={"email": "newcomer@example.com",
                                        "password": DEFAULT_PASSWORD}).status_code == 200

    def test_an_admin_created_from_the_command_line_is_verified(self, app, client):
        result = app.test_cli_runner().invoke(args=[
            "users", "create-admin", "--name", "Root", "--email", "root@example.com",
            "--password", DEFAULT_PASSWORD])

        assert result.exit_code == 0, result.output
        response = client.post(LOGIN, json={"email": "root@example.com",
                                            "password": DEFAULT_PASSWORD})
        assert response.status_code == 200
