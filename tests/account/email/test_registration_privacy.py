"""REGISTRATION_REVEALS_ACCOUNTS=false: registration never tells whether an address is taken.

An anonymous registration answers the same 201 for a free and a taken address; the owner
of a taken one is mailed instead (OWASP's advice), at most once an hour. The default
(true) keeps the 409, and admins always get it.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.settings import settings_of
from tests.account.registration import URL, fields
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.helpers import assert_problem, row_count, stored_blobs

LOGIN = "/api/v1/auth/login"
INTRUDER_PASSWORD = "another long password"


@pytest.fixture
def quiet(app_config) -> dict:
    app_config["REGISTRATION_REVEALS_ACCOUNTS"] = False
    return app_config


def register(client, email: str, **extra):
    body = fields(email=email, password=INTRUDER_PASSWORD, **extra)
    return client.post(URL, data=body, content_type="multipart/form-data")


def test_by_default_a_taken_address_is_409(client, user, mailbox):
    assert_problem(register(client, user.email), 409)
    assert mailbox.new() == []


def test_a_free_and_a_taken_address_get_the_same_answer(quiet, client, user, mailbox):
    new = register(client, "newcomer@example.com")
    taken = register(client, user.email.upper())

    assert new.status_code == taken.status_code == 201
    assert new.headers["Location"] == taken.headers["Location"] == "/api/v1/auth/me"
    assert set(new.get_json()) == set(taken.get_json()) == {"email", "detail"}
    assert new.get_json()["detail"] == taken.get_json()["detail"]
    assert taken.get_json()["email"] == user.email
    assert new.headers["Content-Type"] == taken.headers["Content-Type"]
    # The newcomer's account exists; the owner's is untouched, and only its password works.
    assert client.post(LOGIN, json={"email": "newcomer@example.com",
                                    "password": INTRUDER_PASSWORD}).status_code == 200
    assert client.post(LOGIN, json={"email": user.email,
                                    "password": INTRUDER_PASSWORD}).status_code == 401
    assert client.post(LOGIN, json={"email": user.email,
                                    "password": DEFAULT_PASSWORD}).status_code == 200
    assert row_count("users") == 2


def test_the_owner_is_mailed_once_an_hour_and_each_attempt_is_audited(
        quiet, app, client, user, mailbox, db):
    for _ in range(3):
        assert register(client, user.email).status_code == 201

    [notice] = [mail for mail in mailbox.new() if mail.to == user.email]
    assert "tried to register your address" in notice.subject
    assert settings_of(app).web.public_base_url in notice.text
    assert INTRUDER_PASSWORD not in notice.text
    db.session.rollback()
    attempts = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "auth.registration_duplicate")).all()
    assert [(e.actor_id, e.subject_id, e.details) for e in attempts] == [
        (None, user.id, {})] * 3


def test_a_taken_address_with_a_bad_image_is_the_same_422(quiet, client, user, upload_dir):
    answers = [
        register(client, email, profile_image=(io.BytesIO(b"not an image"), "x.png"))
        for email in ("free@example.com", user.email)]

    assert [assert_problem(answer, 422)["errors"] for answer in answers] == [
        {"profile_image": ["Must be a JPEG, PNG, GIF or WebP image."]}] * 2
    assert row_count("users") == 1


def test_a_taken_address_with_an_image_stores_nothing(quiet, client, user, upload_dir):
    image = (io.BytesIO(image_bytes("PNG", (8, 8))), "me.png")
    response = client.post(URL, data=fields(email=user.email, password=INTRUDER_PASSWORD,
                                             profile_image=image),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    assert (row_count("users"), row_count("files"), stored_blobs(upload_dir)) == (1, 0, [])


def test_an_admin_still_gets_409(quiet, client, admin, user, auth_headers):
    response = client.post(URL, json=fields(email=user.email), headers=auth_headers(admin))
    assert_problem(response, 409)


def test_a_browser_form_gets_the_same_redirect_for_a_taken_address(quiet, client, user,
                                                                   mailbox):
    html = {"Accept": "text/html"}
    answers = [client.post(URL, headers=html, data=fields(
        email=email, password=INTRUDER_PASSWORD, next="/login?notice=registered"))
        for email in ("browser@example.com", user.email)]

    assert [(a.status_code, a.headers["Location"]) for a in answers] == [
        (303, "/login?notice=registered")] * 2
