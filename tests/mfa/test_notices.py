"""Every change of a user's second factors is an audit event and a notice by mail."""

from __future__ import annotations

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from tests.account.email.mailbox import Mailbox
from tests.factories import DEFAULT_PASSWORD
from tests.mfa.helpers import LOGIN_MFA, RECOVERY, TOTP, enable_totp, mfa_token


@pytest.fixture
def mailbox(app) -> Mailbox:
    """What the service delivered (file backend)."""
    return Mailbox(app)


def actions_about(user_id: int) -> list[str]:
    query = (db.select(AuditEvent.action).where(AuditEvent.subject_id == user_id)
             .order_by(AuditEvent.id))
    return list(db.session.scalars(query))


def test_turning_totp_on_and_off_is_audited_and_noticed(client, user, auth_headers, mailbox):
    headers = auth_headers(user)
    mailbox.new()
    authenticator, _codes = enable_totp(client, headers)

    notice = mailbox.one(to=user.email)
    assert "sign-in settings changed" in notice.subject
    assert "turned on" in notice.text and "turned on" in notice.html

    response = client.delete(TOTP, json={"current_password": DEFAULT_PASSWORD,
                                         "code": authenticator.code()}, headers=headers)
    assert response.status_code == 204
    assert "turned off" in mailbox.one(to=user.email).text
    assert actions_about(user.id)[-2:] == ["mfa.totp_enabled", "mfa.totp_disabled"]


def test_new_recovery_codes_and_an_admin_reset_are_audited_and_noticed(
        client, user, admin, auth_headers, mailbox):
    headers = auth_headers(user)
    authenticator, _codes = enable_totp(client, headers)
    mailbox.new()

    response = client.post(RECOVERY, json={"current_password": DEFAULT_PASSWORD,
                                           "code": authenticator.code()}, headers=headers)
    assert response.status_code == 200
    assert "recovery codes" in mailbox.one(to=user.email).text

    response = client.delete(f"/api/v1/users/{user.id}/mfa", headers=auth_headers(admin))
    assert response.status_code == 204
    assert "administrator" in mailbox.one(to=user.email).text
    reset = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "admin.mfa_reset")).one()
    assert (reset.actor_id, reset.subject_id) == (admin.id, user.id)


def test_a_refused_change_records_and_sends_nothing(client, user, auth_headers, mailbox):
    headers = auth_headers(user)
    enable_totp(client, headers)
    mailbox.new()
    before = actions_about(user.id)

    response = client.delete(TOTP, json={"current_password": DEFAULT_PASSWORD,
                                         "code": "000000"}, headers=headers)

    assert response.status_code == 401
    assert mailbox.new() == []
    assert [a for a in actions_about(user.id) if a.startswith("mfa.")] == [
        a for a in before if a.startswith("mfa.")]


def test_a_recovery_code_sign_in_is_mailed_as_a_sign_in(client, user, auth_headers, mailbox):
    _authenticator, codes = enable_totp(client, auth_headers(user))
    mailbox.new()

    response = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                            "code": codes[0]})

    assert response.status_code == 200
    notice = mailbox.one(to=user.email)
    assert notice.subject == "A recovery code was used to sign in to Signet"
    assert "settings changed" not in notice.subject
    assert "9 of your recovery codes are left" in notice.text
    assert "9 of your recovery codes are left" in notice.html
    assert codes[0] not in notice.text + notice.html
    assert "mfa.recovery_code_used" in actions_about(user.id)
