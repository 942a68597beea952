"""Mail to one address is capped, and its first line carries nothing a requester chose.

Issue 20, finding 6: `POST /auth/email/change` with the right password mailed a foreign
address 25 times out of 25, each greeting it with the requester's chosen name.
"""

from __future__ import annotations

import pytest

from app.settings import replace_settings
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import row_count

CHANGE = "/api/v1/auth/email/change"
TARGET = "someone.else@example.net"
BAIT = "Your bank: call +1-555-0100 now"


def change_email(client, headers: dict, new_email: str = TARGET):
    return client.post(CHANGE, headers=headers, json={
        "new_email": new_email, "current_password": DEFAULT_PASSWORD})


def test_the_sixth_mail_to_one_address_in_an_hour_is_not_sent(client, user, auth_headers,
                                                                 mailbox):
    headers = auth_headers(user)

    answers = [change_email(client, headers).status_code for _ in range(6)]

    assert answers == [202] * 6  # the client cannot tell
    assert len([m for m in mailbox.new() if m.to == TARGET]) == 5
    assert row_count("mail_outbox") == 5 + 5  # and the five notices to the user's own address


def test_the_cap_holds_whatever_account_asks(client, users, auth_headers, mailbox):
    for account in (users.create(), users.create(), users.create()):
        headers = auth_headers(account)
        for _ in range(2):
            assert change_email(client, headers).status_code == 202

    assert len([m for m in mailbox.new() if m.to == TARGET]) == 5


def test_the_cap_is_a_setting(app, client, user, auth_headers, mailbox):
    replace_settings(app, MAIL_PER_ADDRESS_PER_HOUR=2)
    headers = auth_headers(user)
    for _ in range(3):
        assert change_email(client, headers).status_code == 202

    assert len([m for m in mailbox.new() if m.to == TARGET]) == 2


@pytest.fixture
def baited(users):
    return users.create(name=BAIT, email="bait@example.com")


def test_mail_to_a_new_address_does_not_greet_with_the_requesters_name(
        client, baited, auth_headers, mailbox):
    assert change_email(client, auth_headers(baited)).status_code == 202

    mail = mailbox.one(to=TARGET)

    assert mail.text.splitlines()[0] == "Hello,"
    assert BAIT not in mail.text and "+1-555-0100" not in mail.html


def test_verification_mail_does_not_greet_an_unconfirmed_address_by_name(client, mailbox):
    response = client.post("/api/v1/auth/register", json={
        "name": BAIT, "email": "victim@example.com", "password": "a good long secret"})
    assert response.status_code == 201

    mail = mailbox.one(to="victim@example.com")

    assert mail.text.splitlines()[0] == "Hello,"
    assert "+1-555-0100" not in mail.text and "+1-555-0100" not in mail.html


def test_a_confirmed_owner_is_still_greeted_by_name(client, users, auth_headers, mailbox, db):
    from app.db_types import utcnow

    owner = users.create(name="Ada Lovelace", email="ada@example.com")
    owner.email_verified_at = utcnow()
    db.session.commit()
    assert change_email(client, auth_headers(owner)).status_code == 202

    notice = mailbox.one(to="ada@example.com")

    assert notice.text.splitlines()[0] == "Hello Ada Lovelace,"
