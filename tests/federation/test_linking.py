"""The linking rules and unlinking, without a provider (ProviderUser built by the test)."""

from __future__ import annotations

import pytest
from flask_jwt_extended import create_access_token, verify_jwt_in_request
from sqlalchemy import delete, select

from app.account.export import SECTIONS
from app.account.recovery import clear_planted_sign_ins
from app.audit.models import AuditEvent
from app.exceptions import (
    AccountExists,
    LastSignInMethod,
    ProviderEmailUnverified,
)
from app.federation.client import ProviderUser
from app.federation.models import Identity
from app.federation.service import sign_in_with_provider, unlink_identity
from app.federation.settings import configured_providers, get_provider
from app.sessions.models import UserSession
from app.settings import ConfigError, replace_settings
from app.users.models import User

ISSUER = "https://id.example.test"


@pytest.fixture(autouse=True)
def in_a_request(app):
    with app.test_request_context():  # sessions record the client's address and agent
        yield


@pytest.fixture
def provider(app):
    replace_settings(app, AUTH_PROVIDERS="acme", AUTH_PROVIDER_ACME_ISSUER=ISSUER,
                      AUTH_PROVIDER_ACME_CLIENT_ID="signet")
    return get_provider("acme")


def person(sub="s-1", email="new@example.test", verified=True) -> ProviderUser:
    return ProviderUser(issuer=ISSUER, sub=sub, email=email, email_verified=verified,
                        name="New Person")


def test_settings_name_providers_and_refuse_half_configured_ones(app):
    replace_settings(app, AUTH_PROVIDERS="acme, gh", AUTH_PROVIDER_ACME_ISSUER=ISSUER + "/",
                      AUTH_PROVIDER_ACME_CLIENT_ID="x", AUTH_PROVIDER_GH_PRESET="github",
                      AUTH_PROVIDER_GH_CLIENT_ID="y")
    assert [(p.id, p.name, p.issuer) for p in configured_providers()] == [
        ("acme", "Acme", ISSUER), ("gh", "GitHub", None)]
    with pytest.raises(ConfigError, match="AUTH_PROVIDER_GH_CLIENT_ID must be set"):
        replace_settings(app, AUTH_PROVIDER_GH_CLIENT_ID="")


def test_a_new_identity_with_a_verified_email_makes_a_passwordless_account(provider, db):
    answer = sign_in_with_provider(provider=provider, person=person())
    assert answer["token_type"] == "Bearer"
    user = db.session.scalar(select(User))
    assert (user.email, user.password_hash, user.email_verified) == ("new@example.test", "",
                                                                     True)
    login = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login"))
    assert login.details == {"method": "provider", "provider": "acme"}


def test_an_unverified_email_makes_no_account(provider, db):
    with pytest.raises(ProviderEmailUnverified):
        sign_in_with_provider(provider=provider, person=person(verified=False))
    assert db.session.scalar(select(User)) is None


def test_an_existing_email_is_account_exists_unless_trusted_and_verified(app, provider, users,
                                                                          db):
    owner = users.create(email="new@example.test")
    with pytest.raises(AccountExists) as refused:
        sign_in_with_provider(provider=provider, person=person())
    assert refused.value.problem_type.endswith("account-exists")
    replace_settings(app, AUTH_PROVIDER_ACME_TRUST_EMAIL="true")
    with pytest.raises(AccountExists):  # Signet has not verified the address yet
        sign_in_with_provider(provider=get_provider("acme"), person=person())
    owner.email_verified_at = owner.created_at
    db.session.commit()
    sign_in_with_provider(provider=get_provider("acme"), person=person())
    assert db.session.scalar(select(Identity.user_id)) == owner.id


def test_totp_still_asks_its_code_after_a_provider_sign_in(provider, users, db):
    owner = users.create(email="mfa@example.test")
    owner.mfa_enabled = True
    db.session.add(Identity(user_id=owner.id, provider="acme", issuer=ISSUER, sub="m"))
    db.session.commit()
    answer = sign_in_with_provider(provider=provider, person=person(sub="m"))
    assert answer["mfa_required"] is True and "access_token" not in answer


def test_the_last_way_to_sign_in_cannot_be_unlinked(app, provider, db):
    sign_in_with_provider(provider=provider, person=person())
    user = db.session.scalar(select(User))
    identity = db.session.scalar(select(Identity))
    session_id = db.session.scalar(select(UserSession.id))
    token = create_access_token(str(user.id), additional_claims={"sid": session_id, "ver": 0})
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        verify_jwt_in_request()
        with pytest.raises(LastSignInMethod):
            unlink_identity(user=user, identity_id=identity.id, current_password=None)
    assert db.session.scalar(select(Identity)) is not None


def test_export_recovery_and_deletion_know_identities(provider, users, db):
    owner = users.create(email="kim@example.com")
    db.session.add(Identity(user_id=owner.id, provider="acme", issuer=ISSUER, sub="k",
                            email="kim@id.example.test"))
    db.session.commit()
    exported = SECTIONS["identities"](owner, [])
    assert [(i["provider"], i["email"]) for i in exported] == [("acme", "kim@id.example.test")]
    assert set(exported[0]) == {"id", "provider", "email", "createdAt", "lastUsedAt"}

    assert clear_planted_sign_ins(owner)["identities"] == 1  # a proven mailbox: all gone
    db.session.commit()
    assert db.session.scalar(select(Identity)) is None

    db.session.add(Identity(user_id=owner.id, provider="acme", issuer=ISSUER, sub="k"))
    db.session.commit()
    db.session.execute(delete(User).where(User.id == owner.id)  # as delete_account does
                       .execution_options(changed_user_ids={owner.id}))
    db.session.commit()
    assert db.session.scalar(select(Identity)) is None
