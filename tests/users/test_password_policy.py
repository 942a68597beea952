"""Weak passwords are refused on registration and password change (issue 13, item 8)."""

from __future__ import annotations

import pytest

from app.users.passwords import common_passwords
from tests.account.registration import URL, fields
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

REFUSED = {
    "common digits": ("12345678", "most common"),
    "common word": ("password", "most common"),
    "common, other case": ("PassWord1", "most common"),
    "eight spaces": (" " * 8, "visible characters"),
    "eight zero-width spaces": ("\u200b" * 8, "visible characters"),
    "tabs and no-break spaces": ("\t\u00a0\u3000\t\u00a0\u3000\t\u00a0", "visible characters"),
    "the email itself": ("alan.turing@example.com", "before the @"),
    "the local part": ("Alan.Turing", "before the @"),
    "containing the local part": ("my-alan.turing-2026", "before the @"),
}


def test_the_shipped_list_holds_ten_thousand_passwords():
    assert len(common_passwords()) == 10_000
    assert {"123456", "password", "qwerty", "letmein"} <= common_passwords()


@pytest.mark.parametrize(("password", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_registration_refuses_weak_passwords(client, password, reason):
    response = client.post(URL, json=fields(email="alan.turing@example.com",
                                            password=password))

    body = assert_problem(response, 422)
    [message] = body["errors"]["password"]
    assert reason in message
    assert "my-alan.turing-2026" not in str(body)  # the password never comes back


@pytest.mark.parametrize(("email", "password"), [
    ("bob@example.com", "bob-says-hello"),  # a local part under 4 characters is not checked
    ("alan.turing@example.com", "enigma-machine"),
])
def test_registration_accepts_other_passwords(client, email, password):
    assert client.post(URL, json=fields(email=email, password=password)).status_code == 201


@pytest.mark.parametrize(("password", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_password_change_refuses_weak_passwords(client, users, auth_headers, password,
                                                reason):
    account = users.create(email="alan.turing@example.com")
    response = client.post("/api/v1/auth/password", headers=auth_headers(account), json={
        "current_password": DEFAULT_PASSWORD, "new_password": password})

    body = assert_problem(response, 422)
    assert reason in body["errors"]["new_password"][0]
    login = client.post("/api/v1/auth/login", json={"email": account.email,
                                                     "password": DEFAULT_PASSWORD})
    assert login.status_code == 200  # the old password still works


def test_the_command_line_admin_is_held_to_the_policy_too(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create-admin", "--name", "Root", "--email", "root@example.com",
        "--password", "password"])
    assert result.exit_code != 0
    assert "most common" in result.output
