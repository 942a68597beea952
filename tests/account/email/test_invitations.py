"""POST /users/invitations: an account whose first password is set through a mailed link."""

from __future__ import annotations

import pytest

from tests.account.email.conftest import ENCODINGS, PUBLIC_BASE_URL, post
from tests.helpers import assert_problem, row_count

INVITE = "/api/v1/users/invitations"
RESET = "/api/v1/auth/password/reset"
LOGIN = "/api/v1/auth/login"
FIRST_PASSWORD = "my very first password"


def invite(client, headers, encoding="json", **fields):
    body = {"name": "Katherine Johnson", "email": "kj@example.com", **fields}
    return post(client, INVITE, body, encoding, headers=headers)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_invitation_creates_the_account_and_mails_a_link(
        client, admin, auth_headers, mailbox, encoding):
    response = invite(client, auth_headers(admin), encoding, role="admin")

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/users/{body['id']}"
    assert body["email"] == "kj@example.com" and body["role"] == "admin"
    assert body["emailVerified"] is False and body["createdBy"] == admin.id
    assert "password" not in str({k: v for k, v in body.items() if k != "hasPassword"}).lower()
    mail = mailbox.one()
    assert mail.to == "kj@example.com"
    assert mail.subject == "Grace Hopper invited you to Signet"
    assert mail.link.startswith(f"{PUBLIC_BASE_URL}/welcome?token=")
    assert "7 days" in mail.text and f'href="{mail.link}"' in mail.html


def test_the_invited_user_signs_in_only_after_setting_a_password(
        client, admin, auth_headers, mailbox):
    invite(client, auth_headers(admin))
    token = mailbox.one().token
    assert_problem(client.post(LOGIN, json={"email": "kj@example.com", "password": ""}), 422)

    assert client.post(RESET, json={"token": token, "new_password": FIRST_PASSWORD}
                       ).status_code == 204

    login = client.post(LOGIN, json={"email": "kj@example.com", "password": FIRST_PASSWORD})
    assert login.status_code == 200
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {login.get_json()['access_token']}"})
    assert me.get_json()["emailVerified"] is True
    assert mailbox.new() == []  # setting the first password is no "reset" to warn about
    assert_problem(client.post(RESET, json={"token": token, "new_password": "again again"}),
                   422)


def test_the_invitation_link_lives_a_week(app, client, admin, auth_headers, mailbox):
    from datetime import timedelta

    import sqlalchemy as sa

    from app.account.models import EmailToken
    from app.db_types import utcnow
    from app.extensions import db

    invite(client, auth_headers(admin))
    row = db.session.execute(sa.select(EmailToken)).scalar_one()

    assert row.purpose == "invitation"
    assert timedelta(days=7) - timedelta(minutes=1) < row.expires_at - utcnow() <= timedelta(
        days=7)


def test_only_admins_invite(client, user, auth_headers, mailbox):
    assert_problem(invite(client, auth_headers(user)), 403)
    assert_problem(invite(client, {}), 401)

    assert mailbox.new() == [] and row_count("users") == 1


def test_a_taken_address_is_409(client, admin, auth_headers, mailbox):
    assert_problem(invite(client, auth_headers(admin), email="GRACE@example.com"), 409)

    assert mailbox.new() == [] and row_count("email_tokens") == 0


@pytest.mark.parametrize(("fields", "field"), [
    ({"email": "nope"}, "email"), ({"name": "   "}, "name"), ({"role": "root"}, "role")])
def test_bad_fields_are_422(client, admin, auth_headers, fields, field):
    assert set(assert_problem(invite(client, auth_headers(admin), **fields), 422)["errors"]) \
        == {field}


def test_the_invitee_lands_on_a_first_password_page_and_is_sent_to_sign_in(
        client, admin, auth_headers, mailbox):
    invite(client, auth_headers(admin))
    mail = mailbox.one()
    html = {"Accept": "text/html"}

    page = client.get(mail.link.removeprefix(PUBLIC_BASE_URL)).get_data(as_text=True)
    assert "<h1>Welcome to Signet</h1>" in page and "Choose a new password" not in page
    assert 'name="page" value="web.WelcomePage"' in page

    short = client.post(RESET, headers=html, data={
        "token": mail.token, "new_password": "short", "page": "web.WelcomePage",
        "next": "/login?notice=welcome"})
    assert short.status_code == 422
    again = short.get_data(as_text=True)
    assert "<h1>Welcome to Signet</h1>" in again and 'id="new_password-error"' in again
    assert f'name="token" value="{mail.token}"' in again

    done = client.post(RESET, headers=html, data={
        "token": mail.token, "new_password": FIRST_PASSWORD, "page": "web.WelcomePage",
        "next": "/login?notice=welcome"})
    assert done.status_code == 303 and done.headers["Location"] == "/login?notice=welcome"
    assert "Your password is set" in client.get("/login?notice=welcome").get_data(as_text=True)


def test_a_page_field_naming_another_view_is_ignored(client, admin, auth_headers, mailbox):
    invite(client, auth_headers(admin))
    response = client.post(RESET, headers={"Accept": "text/html"}, data={
        "token": mailbox.one().token, "new_password": "short", "page": "web.ProfilePage"})
    assert response.status_code == 422
    assert "Choose a new password" in response.get_data(as_text=True)
