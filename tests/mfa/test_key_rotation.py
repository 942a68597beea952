"""Rotating MFA_ENCRYPTION_KEY: new key first, `flask mfa rotate-key`, old key dropped."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.extensions import db
from app.mfa import crypto
from app.mfa.models import TotpSecret
from app.settings import ConfigError, replace_settings
from tests.mfa.helpers import LOGIN_MFA, enable_totp, mfa_token

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def old_key(app_config):
    app_config["MFA_ENCRYPTION_KEY"] = OLD
    return app_config


def test_rotation_keeps_every_code_working(old_key, app, client, user, auth_headers):
    authenticator, _codes = enable_totp(client, auth_headers(user))
    rotated = create_app({**old_key, "MFA_ENCRYPTION_KEY": f"{NEW},{OLD}"})
    with rotated.app_context():
        result = rotated.test_cli_runner().invoke(args=["mfa", "rotate-key"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 1 TOTP secret(s)" in result.output
        db.session.remove()

    only_new = create_app({**old_key, "MFA_ENCRYPTION_KEY": NEW})
    with only_new.app_context():
        stored = db.session.get(TotpSecret, user.id).secret
        assert Fernet(NEW.encode()).decrypt(stored.encode())
        new_client = only_new.test_client()
        response = new_client.post(LOGIN_MFA, json={
            "mfa_token": mfa_token(new_client, user.email), "code": authenticator.code()})
        assert response.status_code == 200
        db.session.remove()


def test_a_secret_from_a_dropped_key_is_a_clear_error(old_key, app, client, user,
                                                      auth_headers):
    enable_totp(client, auth_headers(user))
    replace_settings(app, MFA_ENCRYPTION_KEY=NEW)
    with pytest.raises(ConfigError, match="rotate-key"):
        crypto.decrypt(db.session.get(TotpSecret, user.id).secret)


def test_a_malformed_key_stops_start_up_not_the_first_totp_call(app_config):
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEY is refused: must be Fernet keys"):
        create_app({**app_config, "MFA_ENCRYPTION_KEY": "not a fernet key"})
