"""POST /auth/email/change and /auth/email/change/confirm."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.users.models import User
from tests.account.email.conftest import ENCODINGS, PUBLIC_BASE_URL, post
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count

CHANGE = "/api/v1/auth/email/change"
CONFIRM = "/api/v1/auth/email/change/confirm"
LOGIN = "/api/v1/auth/login"
INVALID = {"token": ["This link is invalid or has expired; ask for a new one."]}


def change(client, headers, new_email="ada.new@example.com", password=DEFAULT_PASSWORD,
           encoding="json"):
    return post(client, CHANGE, {"new_email": new_email, "current_password": password},
                encoding, headers=headers)


def stored_email(user_id: int) -> str:
    return db.session.scalar(sa.select(User.email).where(User.id == user_id)
                             .execution_options(populate_existing=True))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_change_mails_the_new_address_and_notifies_the_old_one(
        client, user, auth_headers, mailbox, encoding):
    response = change(client, auth_headers(user), "Ada.New@Example.com", encoding=encoding)

    assert response.status_code == 202
    assert response.get_json() == {
        "detail": "Follow the link sent to the new address to confirm it."}
    assert stored_email(user.id) == "ada@example.com"  # nothing changes yet
    mails = {mail.to: mail for mail in mailbox.new()}
    assert set(mails) == {"ada.new@example.com", "ada@example.com"}
    confirm = mails["ada.new@example.com"]
    assert confirm.subject == "Confirm your new email address for Signet"
    assert confirm.link.startswith(f"{PUBLIC_BASE_URL}/confirm-email?token=")
    assert f'href="{confirm.link}"' in confirm.html
    notice = mails["ada@example.com"]
    assert notice.subject == "A change of your Signet email address was requested"
    assert "ada.new@example.com" in notice.text and "ada.new@example.com" in notice.html
    assert "token=" not in notice.text + notice.html


def test_confirm_moves_the_account_and_notifies_the_old_address(
        client, user, auth_headers, mailbox):
    change(client, auth_headers(user))
    token = {m.to: m for m in mailbox.new()}["ada.new@example.com"].token

    response = client.post(CONFIRM, data={"token": token})

    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == "ada.new@example.com" and body["emailVerified"] is True
    assert body["updatedBy"] == user.id
    notice = mailbox.one()
    assert notice.to == "ada@example.com"
    assert notice.subject == "Your Signet email address was changed"
    assert "now uses ada.new@example.com" in notice.text
    assert client.post(LOGIN, json={"email": "ada.new@example.com",
                                    "password": DEFAULT_PASSWORD}).status_code == 200
    assert_problem(client.post(LOGIN, json={"email": "ada@example.com",
                                            "password": DEFAULT_PASSWORD}), 401)
    assert assert_problem(client.post(CONFIRM, json={"token": token}), 422)["errors"] == INVALID


def test_wrong_password_is_401_and_sends_nothing(client, user, auth_headers, mailbox):
    assert_problem(change(client, auth_headers(user), password="not my password"), 401)

    assert mailbox.new() == [] and row_count("email_tokens") == 0


@pytest.mark.parametrize("taken", ["grace@example.com", "GRACE@example.com"])
def test_a_taken_address_is_409(client, user, admin, auth_headers, mailbox, taken):
    assert_problem(change(client, auth_headers(user), taken), 409)

    assert mailbox.new() == []


@pytest.mark.parametrize("body", [
    {"new_email": "not-an-address", "current_password": DEFAULT_PASSWORD},
    {"new_email": "ada@example.com", "current_password": DEFAULT_PASSWORD},
    {"current_password": DEFAULT_PASSWORD},
])
def test_a_bad_new_address_is_422_on_new_email(client, user, auth_headers, body):
    response = client.post(CHANGE, json=body, headers=auth_headers(user))

    assert set(assert_problem(response, 422)["errors"]) == {"new_email"}


def test_change_needs_a_token(client):
    assert_problem(client.post(CHANGE, json={"new_email": "x@example.com",
                                             "current_password": "x"}), 401)


def test_an_address_taken_meanwhile_is_409_on_confirm(client, user, users, auth_headers,
                                                      mailbox):
    change(client, auth_headers(user))
    token = {m.to: m for m in mailbox.new()}["ada.new@example.com"].token
    users.create(email="ada.new@example.com")

    assert_problem(client.post(CONFIRM, json={"token": token}), 409)

    assert stored_email(user.id) == "ada@example.com"
    assert mailbox.new() == []


def test_a_password_change_kills_the_confirmation_link(client, user, auth_headers, mailbox):
    headers = auth_headers(user)
    change(client, headers)
    token = {m.to: m for m in mailbox.new()}["ada.new@example.com"].token
    client.post("/api/v1/auth/password", headers=headers,
                json={"current_password": DEFAULT_PASSWORD, "new_password": "another secret"})

    assert assert_problem(client.post(CONFIRM, json={"token": token}), 422)["errors"] == INVALID
    assert stored_email(user.id) == "ada@example.com"


@pytest.mark.parametrize("token", ["", "garbage"])
def test_a_garbage_confirmation_token_is_422(client, token):
    assert set(assert_problem(client.post(CONFIRM, json={"token": token}), 422)["errors"]) \
        == {"token"}
