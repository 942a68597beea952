"""PUBLIC_BASE_URL: required in production (passkeys are bound to it)."""

from __future__ import annotations

import pytest

from app.settings import ConfigError, build_settings

STRONG = "s" * 48
# Any Fernet key: production refuses to start without one sealing the signing keys.
SEAL = "x7Tz2wV0dJ7cQFhJmQm3b5l8Qx5aYkqkS0fJbX1yXqU="
PRODUCTION = {"SIGNING_KEY_ENCRYPTION_KEY": SEAL,
              "APP_ENV": "production", "SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG,
              "SMTP_HOST": "smtp.example.com", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1"}


def test_production_refuses_to_start_without_public_base_url(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be set in production"):
        build_settings(PRODUCTION)


def test_production_starts_with_it():
    built = build_settings({**PRODUCTION, "PUBLIC_BASE_URL": "https://signet.example.com"})
    assert built.web.public_base_url == "https://signet.example.com"
