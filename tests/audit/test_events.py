"""Audit events are written with the change they record, and only then."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from app.audit import record_event
from app.audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem
from tests.mfa.helpers import LOGIN_MFA, enable_totp, mfa_token

LOGIN = "/api/v1/auth/login"


def events(db, action: str | None = None) -> list[AuditEvent]:
    """Committed events, oldest first, read past this session's cache."""
    db.session.rollback()
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def audit_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.audit"]


def test_login_is_recorded_with_ip_and_request_id(client, db, user):
    response = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD},
                           headers={"X-Request-ID": "req-login-1"})

    assert response.status_code == 200
    [event] = events(db, "auth.login")
    assert (event.actor_id, event.subject_id) == (user.id, user.id)
    assert (event.ip, event.request_id) == ("127.0.0.1", "req-login-1")
    assert event.created_at.tzinfo is not None


@pytest.fixture
def behind_one_proxy(app_config):
    """One trusted reverse proxy appends the client's address to X-Forwarded-For."""
    app_config["TRUSTED_PROXY_COUNT"] = 1
    return app_config


def test_the_ip_is_the_client_behind_the_trusted_proxy(behind_one_proxy, client, db, user):
    response = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})

    assert response.status_code == 200
    [event] = events(db, "auth.login")
    assert event.ip == "203.0.113.7"


@pytest.mark.parametrize(("email", "password", "is_active", "status", "reason"), [
    ("nobody@example.com", DEFAULT_PASSWORD, True, 401, "unknown_email"),
    ("ada@example.com", "wrong password!", True, 401, "wrong_password"),
    ("ada@example.com", DEFAULT_PASSWORD, False, 403, "inactive"),
])
def test_failed_login_is_its_own_committed_event(client, db, users, caplog, email, password,
                                                 is_active, status, reason):
    account = users.create(email="ada@example.com", is_active=is_active)
    caplog.set_level(logging.INFO, logger="app.audit")

    assert_problem(client.post(LOGIN, json={"email": email, "password": password}), status)

    [event] = events(db, "auth.login_failed")
    assert event.actor_id is None
    assert event.subject_id == (None if reason == "unknown_email" else account.id)
    assert event.details == {"email": email, "reason": reason}
    assert not events(db, "auth.login")
    [line] = audit_lines(caplog)
    assert line.startswith("auth.login_failed actor=None")
    assert password not in line and password not in str(event.details)


def test_logout_and_password_change_are_recorded_without_secrets(client, db, user,
                                                                 auth_headers, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")
    new_password = "a brand new passphrase"
    response = client.post("/api/v1/auth/password", headers=auth_headers(user), json={
        "current_password": DEFAULT_PASSWORD, "new_password": new_password})
    assert response.status_code == 204
    assert client.post("/api/v1/auth/logout",
                       headers=auth_headers(user)).status_code in (204, 401)

    [changed] = events(db, "auth.password_changed")
    assert (changed.actor_id, changed.subject_id, changed.details) == (user.id, user.id, {})
    for line in audit_lines(caplog):
        assert DEFAULT_PASSWORD not in line and new_password not in line


def test_logout_is_recorded(client, db, user):
    tokens = client.post(LOGIN, json={"email": user.email,
                                      "password": DEFAULT_PASSWORD}).get_json()

    response = client.post("/api/v1/auth/logout",
                           headers={"Authorization": f"Bearer {tokens['access_token']}"})

    assert response.status_code == 204
    [event] = events(db, "auth.logout")
    assert (event.actor_id, event.subject_id) == (user.id, user.id)


def test_a_wrong_current_password_leaves_no_event(client, db, user, auth_headers):
    response = client.post("/api/v1/auth/password", headers=auth_headers(user), json={
        "current_password": "not my password", "new_password": "a brand new passphrase"})

    assert_problem(response, 401)
    assert not events(db, "auth.password_changed")


def test_admin_update_records_the_changes(client, db, admin, user, auth_headers):
    response = client.patch(f"/api/v1/users/{user.id}", headers=auth_headers(admin),
                            json={"name": "Countess", "isActive": False})

    assert response.status_code == 200
    [event] = events(db, "admin.user_updated")
    assert (event.actor_id, event.subject_id) == (admin.id, user.id)
    assert event.details == {"changes": {"name": ["Ada Lovelace", "Countess"],
                                         "isActive": [True, False]}}


def test_a_refused_admin_change_leaves_no_event_and_no_line(client, db, admin,
                                                            auth_headers, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")

    response = client.patch(f"/api/v1/users/{admin.id}", headers=auth_headers(admin),
                            json={"name": "Renamed", "role": "user"})

    assert_problem(response, 409)
    assert not events(db, "admin.user_updated")
    assert not audit_lines(caplog)


def test_an_event_is_rolled_back_with_its_transaction(app, db, user, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")
    record_event("auth.password_changed", actor_id=user.id, subject_id=user.id)
    db.session.rollback()
    db.session.commit()  # a later, unrelated commit does not resurrect the line

    assert not events(db)
    assert not audit_lines(caplog)


def test_the_log_line_escapes_control_characters(app, db, user, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")
    record_event("admin.user_updated", actor_id=user.id, subject_id=user.id,
                 details={"changes": {"name": ["Ada", "Eve\nFAKE auth.login\x1b[31m\u202e"]}})
    db.session.commit()

    [line] = audit_lines(caplog)
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert "\\n" in line and "\\u001b" in line and "\\u202e" in line
    [event] = events(db)
    assert event.details["changes"]["name"][1] == "Eve\nFAKE auth.login\x1b[31m\u202e"
    assert (event.ip, event.request_id) == (None, None)  # no request: a CLI or a job


@pytest.mark.parametrize("action", ["Auth.Login", "login", "auth login", "auth.", ""])
def test_record_event_refuses_names_outside_the_convention(app, action):
    with pytest.raises(ValueError):
        record_event(action, actor_id=None)


def test_an_admin_registering_someone_is_recorded(client, db, admin, auth_headers):
    response = client.post("/api/v1/auth/register", headers=auth_headers(admin), json={
        "name": "New Person", "email": "new@example.com", "password": "long enough pw",
        "role": "admin"})

    assert response.status_code == 201
    [event] = events(db, "admin.user_created")
    assert (event.actor_id, event.subject_id) == (admin.id, response.get_json()["id"])
    assert event.details == {"role": "admin"}


def test_self_registration_is_recorded_and_is_no_admin_event(client, db):
    password = "long enough pw"
    response = client.post("/api/v1/auth/register", json={
        "name": "Self", "email": "self@example.com", "password": password})

    assert response.status_code == 201
    assert not events(db, "admin.user_created")
    [event] = events(db, "auth.registered")
    new_id = response.get_json()["id"]
    assert (event.actor_id, event.subject_id, event.details) == (new_id, new_id, {})


def test_an_admin_registering_someone_is_no_self_registration(client, db, admin,
                                                              auth_headers):
    response = client.post("/api/v1/auth/register", headers=auth_headers(admin), json={
        "name": "New Person", "email": "new@example.com", "password": "long enough pw"})

    assert response.status_code == 201
    assert not events(db, "auth.registered")


def test_wrong_second_factor_codes_are_recorded_without_the_code(client, db, user,
                                                                 auth_headers, caplog):
    authenticator, recovery_codes = enable_totp(client, auth_headers(user))
    right = authenticator.code()
    wrong_totp = f"{(int(right) + 1) % 1_000_000:06d}"
    wrong_recovery = "abcd-efgh-ijkm-npqr"
    assert wrong_recovery not in recovery_codes
    caplog.set_level(logging.INFO, logger="app.audit")

    for code in (wrong_totp, wrong_recovery):
        answer = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                              "code": code})
        assert_problem(answer, 401)

    failed = events(db, "auth.login_mfa_failed")
    assert [(e.actor_id, e.subject_id, e.details) for e in failed] == [
        (None, user.id, {"method": "totp"}), (None, user.id, {"method": "recovery_code"})]
    everything = " ".join(audit_lines(caplog)) + str([e.details for e in events(db)])
    assert wrong_totp not in everything and wrong_recovery not in everything

    answer = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                          "code": right})
    assert answer.status_code == 200
    assert len(events(db, "auth.login_mfa_failed")) == 2  # a right code adds none
