"""Names and emails must be visible text; log lines escape what clients sent (issue 13, 7)."""

from __future__ import annotations

import logging

import pytest

from tests.account.registration import URL, fields
from tests.helpers import assert_problem

INVISIBLE_NAMES = {
    "zero-width spaces": "\u200b\u200b\u200b",
    "zero-width joiner and BOM": "\u200d\ufeff",
    "hangul filler": "\u3164",
    "combining mark alone": "\u0301",
}
BIDI_NAMES = {
    "right-to-left override": "Ada \u202egpj.exe",
    "right-to-left isolate": "Ada \u2067x\u2069",
    "right-to-left mark": "\u200fAda",
}
BAD_EMAILS = {
    "escape in quoted local part": '"a\x1b[31mb"@example.com',
    "vertical tab": '"a\x0bb"@example.com',
    "form feed": '"a\x0cb"@example.com',
    "right-to-left override": "ada\u202e@example.com",
}


@pytest.mark.parametrize("name", INVISIBLE_NAMES.values(), ids=INVISIBLE_NAMES.keys())
def test_a_name_with_nothing_visible_is_422(client, name):
    body = assert_problem(client.post(URL, json=fields(name=name)), 422)
    assert body["errors"]["name"] == ["Must contain visible characters."]


@pytest.mark.parametrize("name", BIDI_NAMES.values(), ids=BIDI_NAMES.keys())
def test_a_name_with_bidirectional_controls_is_422(client, name):
    body = assert_problem(client.post(URL, json=fields(name=name)), 422)
    assert body["errors"]["name"] == ["Must not contain bidirectional control characters."]


@pytest.mark.parametrize("email", BAD_EMAILS.values(), ids=BAD_EMAILS.keys())
def test_an_email_with_control_or_bidirectional_characters_is_422(client, email):
    body = assert_problem(client.post(URL, json=fields(email=email)), 422)
    assert "email" in body["errors"]


@pytest.mark.parametrize("name", ["Ada Lovelace", "محمد", "👩\u200d💻 Ada", "José"])
def test_ordinary_names_still_register(client, name):
    response = client.post(URL, json=fields(name=name))
    assert response.status_code == 201
    assert response.get_json()["name"] == name


def test_patch_me_and_admin_updates_apply_the_same_rules(client, user, admin, auth_headers):
    me = client.patch("/api/v1/auth/me", headers=auth_headers(user),
                      data={"name": "\u200b"})
    assert assert_problem(me, 422)["errors"]["name"]
    other = client.patch(f"/api/v1/users/{user.id}", headers=auth_headers(admin),
                         json={"name": "x\u202e"})
    assert assert_problem(other, 422)["errors"]["name"]


def test_log_lines_escape_what_clients_sent(app):
    from flask.logging import default_handler

    record = logging.LogRecord("app.audit", logging.INFO, __file__, 1, "changed <%s>: %s",
                               ("a\x1b[31m@x", "evil\nforged line \u202e"), None)
    record.request_id = "-"
    line = default_handler.formatter.format(record)

    assert "\x1b" not in line and "\n" not in line and "\u202e" not in line
    assert "a\\x1b[31m@x" in line and "evil\\nforged line \\u202e" in line
