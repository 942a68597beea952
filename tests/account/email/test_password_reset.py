"""POST /auth/password/forgot and /auth/password/reset, and the password-change notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.account.models import EmailToken
from app.db_types import utcnow
from app.extensions import db
from app.users.models import User
from tests.account.email.conftest import ENCODINGS, PUBLIC_BASE_URL, post
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count

FORGOT = "/api/v1/auth/password/forgot"
RESET = "/api/v1/auth/password/reset"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
NEW_PASSWORD = "a brand new secret"
INVALID = {"token": ["This link is invalid or has expired; ask for a new one."]}
ANSWER = {"detail": "If an active account uses this address, a link to reset its password "
                    "is on its way."}
IP_A, IP_B = "192.0.2.1", "198.51.100.2"


def forgot(client, email: str, encoding: str = "json", ip: str = IP_A):
    """Ask for a reset link; `buffered` closes the response, which runs the deferred work."""
    return post(client, FORGOT, {"email": email}, encoding, environ_base={"REMOTE_ADDR": ip},
                buffered=True)


def reset_token(client, mailbox, email: str = "ada@example.com") -> str:
    assert forgot(client, email).status_code == 202
    return mailbox.one(to=email).token


def login(client, email: str = "ada@example.com", password: str = DEFAULT_PASSWORD):
    return client.post(LOGIN, json={"email": email, "password": password})


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_forgot_mails_a_reset_link(client, user, mailbox, encoding):
    response = forgot(client, "ADA@example.com", encoding)

    assert response.status_code == 202 and response.get_json() == ANSWER
    mail = mailbox.one()
    assert mail.to == "ada@example.com"
    assert mail.subject == "Reset your Signet password"
    assert mail.link.startswith(f"{PUBLIC_BASE_URL}/reset-password?token=")
    # The address is not verified yet: no greeting by a name whoever registered chose.
    assert mail.text.startswith("Hello,\n") and "30 minutes" in mail.text
    assert f'href="{mail.link}"' in mail.html


@pytest.mark.parametrize("case", ["unknown", "inactive"])
def test_forgot_answers_the_same_and_mails_nothing_for_an_unknown_or_inactive_account(
        client, users, mailbox, case):
    if case == "inactive":
        users.create(email="gone@example.com", is_active=False)

    response = forgot(client, "gone@example.com")

    assert response.status_code == 202 and response.get_json() == ANSWER
    assert mailbox.new() == []
    assert row_count("mail_outbox") == 0 and row_count("email_tokens") == 0


def test_forgot_answers_before_looking_the_account_up(client, user, mailbox):
    response = client.post(FORGOT, json={"email": "ada@example.com"})

    assert response.status_code == 202 and response.get_json() == ANSWER
    assert row_count("email_tokens") == 0 and row_count("mail_outbox") == 0
    response.close()  # the server has sent the answer: now the work runs
    assert row_count("email_tokens") == 1
    assert mailbox.one().to == "ada@example.com"


@pytest.mark.parametrize("email", ["", "not-an-address", "a@" + "b" * 260 + ".com"])
def test_forgot_refuses_a_malformed_address(client, email):
    assert set(assert_problem(forgot(client, email), 422)["errors"]) == {"email"}


def test_forgot_is_limited_per_address(rate_limited, client, user, mailbox):
    assert forgot(client, "ada@example.com", ip=IP_A).status_code == 202
    assert forgot(client, "ADA@example.com", ip=IP_B).status_code == 202

    limited = forgot(client, "ada@example.com", ip=IP_B)

    body = assert_problem(limited, 429)
    assert "for this email" in body["detail"] and int(limited.headers["Retry-After"]) > 0
    assert len(mailbox.new()) == 2
    assert forgot(client, "someone@example.com", ip=IP_B).status_code == 202


def test_forgot_is_limited_per_client(rate_limited, client):
    for number in range(3):
        assert forgot(client, f"person{number}@example.com").status_code == 202

    assert "from this address" in assert_problem(
        forgot(client, "person9@example.com"), 429)["detail"]
    assert forgot(client, "person9@example.com", ip=IP_B).status_code == 202


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_reset_sets_the_password_ends_every_session_and_sends_a_notice(
        client, user, mailbox, encoding):
    old_access = login(client).get_json()["access_token"]
    token = reset_token(client, mailbox)

    response = post(client, RESET, {"token": token, "new_password": NEW_PASSWORD}, encoding)

    assert response.status_code == 204 and response.get_data() == b""
    assert_problem(client.get(ME, headers={"Authorization": f"Bearer {old_access}"}), 401)
    assert_problem(login(client), 401)
    assert login(client, password=NEW_PASSWORD).status_code == 200
    account = db.session.scalar(sa.select(User).where(User.id == user.id))
    db.session.refresh(account)
    assert account.email_verified_at is not None  # the mailed link proved the address
    notice = mailbox.one()
    assert notice.to == "ada@example.com"
    assert notice.subject == "Your Signet password was reset"
    assert f"{PUBLIC_BASE_URL}/forgot-password" in notice.text
    assert token not in notice.text and token not in notice.html
    assert "was just reset" in notice.html


def test_a_used_reset_token_is_422(client, user, mailbox):
    token = reset_token(client, mailbox)
    assert client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD}).status_code \
        == 204

    replay = client.post(RESET, json={"token": token, "new_password": "another new one"})

    assert assert_problem(replay, 422)["errors"] == INVALID
    assert login(client, password=NEW_PASSWORD).status_code == 200


def test_an_expired_reset_token_is_422(client, user, mailbox):
    token = reset_token(client, mailbox)
    expiry = db.session.scalar(sa.select(EmailToken.expires_at))
    assert timedelta(minutes=29) < expiry - utcnow() <= timedelta(minutes=30)
    db.session.execute(sa.update(EmailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    response = client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})

    assert assert_problem(response, 422)["errors"] == INVALID
    assert login(client).status_code == 200


def test_a_password_change_kills_outstanding_reset_links(client, user, mailbox):
    first, second = reset_token(client, mailbox), reset_token(client, mailbox)
    access = login(client).get_json()["access_token"]
    changed = client.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {access}"},
                          json={"current_password": DEFAULT_PASSWORD,
                                "new_password": "changed by hand"})
    assert changed.status_code == 204

    for token in (first, second):
        response = client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
        assert assert_problem(response, 422)["errors"] == INVALID
    notice = mailbox.one()
    assert notice.to == "ada@example.com"
    assert notice.subject == "Your Signet password was changed"
    # The caller's own session ended too (the access token above no longer works).
    assert "every sign-in was ended, including the one that made the change" in notice.text
    assert "other sign-in" not in notice.text + notice.html
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {access}"}).status_code == 401
    assert "changed by hand" not in notice.text + notice.html


def test_a_reset_kills_the_other_outstanding_reset_links(client, user, mailbox):
    first, second = reset_token(client, mailbox), reset_token(client, mailbox)

    assert client.post(RESET, json={"token": second, "new_password": NEW_PASSWORD}
                       ).status_code == 204
    response = client.post(RESET, json={"token": first, "new_password": "another new one"})

    assert assert_problem(response, 422)["errors"] == INVALID


def test_a_deactivated_account_cannot_use_its_link(client, user, mailbox):
    token = reset_token(client, mailbox)
    user.is_active = False
    db.session.commit()

    assert_problem(client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD}), 422)


@pytest.mark.parametrize("password", ["short", "x" * 129])
def test_a_bad_new_password_is_422_and_keeps_the_token(client, user, mailbox, password):
    token = reset_token(client, mailbox)

    body = assert_problem(client.post(RESET, json={"token": token, "new_password": password}),
                          422)

    assert set(body["errors"]) == {"new_password"}
    assert client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD}
                       ).status_code == 204


@pytest.mark.parametrize("token", ["garbage", "", "A" * 43])
def test_a_garbage_reset_token_is_422_on_token(client, user, token):
    body = assert_problem(client.post(RESET, json={"token": token,
                                                   "new_password": NEW_PASSWORD}), 422)

    assert set(body["errors"]) == {"token"}


def test_deleting_a_user_deletes_their_tokens(client, user, mailbox):
    reset_token(client, mailbox)
    assert row_count("email_tokens") == 1

    db.session.execute(sa.delete(User).where(User.id == user.id)
                       .execution_options(changed_user_ids=[user.id]))
    db.session.commit()

    assert row_count("email_tokens") == 0
