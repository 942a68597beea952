"""Private keys at rest: sealed with SIGNING_KEY_ENCRYPTION_KEY, required in production."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.keys import signing_key
from app.keys.keyring import EXTENSION_KEY, Keyring
from app.settings import ConfigError, replace_settings
from tests.keys.helpers import rows

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
STRONG = "x" * 48


@pytest.fixture
def app_config(app_config):
    """An explicit encryption key, as production has."""
    return {**app_config, "SIGNING_KEY_ENCRYPTION_KEY": OLD}


def test_the_row_holds_the_private_key_only_encrypted_with_the_configured_key(app):
    active = signing_key()

    [row] = rows()
    for secret in (active.private_jwk["d"], json.dumps(active.private_jwk)):
        assert secret not in row.sealed_private_jwk and secret not in row.public_jwk
    assert json.loads(Fernet(OLD).decrypt(row.sealed_private_jwk.encode())) == active.private_jwk


def test_another_key_cannot_open_it_and_says_which_setting(app):
    signing_key()
    replace_settings(app, SIGNING_KEY_ENCRYPTION_KEY=NEW)
    app.extensions[EXTENSION_KEY] = Keyring()  # a worker started with the wrong key

    with pytest.raises(ConfigError, match="SIGNING_KEY_ENCRYPTION_KEY"):
        signing_key()


def test_the_jwks_needs_no_private_key(app, client):
    signing_key()
    replace_settings(app, SIGNING_KEY_ENCRYPTION_KEY=NEW)  # a worker that cannot open the keys
    app.extensions[EXTENSION_KEY] = Keyring()

    response = client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert [key["kid"] for key in response.get_json()["keys"]] == [rows()[0].kid]


def test_reseal_moves_every_held_key_to_the_newest_encryption_key(app):
    active = signing_key()
    replace_settings(app, SIGNING_KEY_ENCRYPTION_KEY=f"{NEW},{OLD}")

    result = app.test_cli_runner().invoke(args=["keys", "reseal"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 private key(s)" in result.output
    sealed = rows()[0].sealed_private_jwk
    assert json.loads(Fernet(NEW).decrypt(sealed.encode())) == active.private_jwk
    replace_settings(app, SIGNING_KEY_ENCRYPTION_KEY=NEW)
    app.extensions[EXTENSION_KEY] = Keyring()
    assert signing_key() == active


@pytest.mark.parametrize(("settings", "message"), [
    ({"SIGNING_KEY_ENCRYPTION_KEY": None}, "SIGNING_KEY_ENCRYPTION_KEY must be set in production"),
    ({"SIGNING_KEY_ENCRYPTION_KEY": "not a key"}, "must be Fernet keys"),
    ({"ACCESS_TOKEN_SIGNING": "HS512"}, "ACCESS_TOKEN_SIGNING='HS512' is refused"),
    ({"SIGNING_KEY_ALGORITHM": "PS256"}, "SIGNING_KEY_ALGORITHM='PS256' is refused"),
    ({"ACCESS_TOKEN_SIGNING": "ES256", "SIGNING_KEY_ALGORITHM": "RS256"}, "disagree"),
])
def test_production_refuses_to_start_without_a_sound_key_setup(app_config, settings, message):
    base = {**app_config, "APP_ENV": "production", "SECRET_KEY": STRONG,
            "JWT_SECRET_KEY": STRONG, "PUBLIC_BASE_URL": "https://signet.example.com",
            "MAIL_BACKEND": "file", "SIGNING_KEY_ENCRYPTION_KEY": OLD}

    with pytest.raises(ConfigError, match=message):
        create_app({**base, **settings})
