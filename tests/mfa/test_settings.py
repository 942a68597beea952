"""PUBLIC_BASE_URL: required in production (passkeys are bound to it)."""

from __future__ import annotations

import pytest

from config import ConfigError, ProductionConfig, load_config

STRONG = "s" * 48


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", STRONG)
    monkeypatch.setattr(ProductionConfig, "JWT_SECRET_KEY", STRONG)
    monkeypatch.setattr(ProductionConfig, "SMTP_HOST", "smtp.example.com")  # mail needs it
    return monkeypatch


def test_production_refuses_to_start_without_public_base_url(production):
    production.setattr(ProductionConfig, "PUBLIC_BASE_URL", None)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config("production")


def test_production_starts_with_it(production):
    production.setattr(ProductionConfig, "PUBLIC_BASE_URL", "https://signet.example.com")
    assert load_config("production")["PUBLIC_BASE_URL"] == "https://signet.example.com"

