"""Mail settings: production refuses to start without what delivery needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from config import ConfigError, DevelopmentConfig, ProductionConfig, load_config
from tests.live_server import ROOT

STRONG = "x" * 48


@pytest.fixture
def production(monkeypatch):
    """ProductionConfig with strong secrets and complete mail settings; tests remove one."""
    for name, value in {"SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG,
                        "PUBLIC_BASE_URL": "https://signet.example.com",
                        "MAIL_BACKEND": "smtp", "SMTP_HOST": "smtp.example.com"}.items():
        monkeypatch.setattr(ProductionConfig, name, value)
    return monkeypatch


def test_complete_production_settings_load(production):
    settings = load_config("production")

    assert settings["PUBLIC_BASE_URL"] == "https://signet.example.com"
    assert settings["SMTP_PORT"] == 587
    assert settings["SMTP_SECURITY"] == "starttls"


def test_production_refuses_to_start_without_public_base_url(production):
    production.setattr(ProductionConfig, "PUBLIC_BASE_URL", None)

    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be set in production"):
        load_config("production")


def test_production_with_smtp_refuses_to_start_without_smtp_host(production):
    production.setattr(ProductionConfig, "SMTP_HOST", None)

    with pytest.raises(ConfigError, match="SMTP_HOST must be set in production"):
        load_config("production")


def test_smtp_without_smtp_host_is_refused_outside_production_too(monkeypatch):
    monkeypatch.setattr(DevelopmentConfig, "MAIL_BACKEND", "smtp")
    monkeypatch.setattr(DevelopmentConfig, "SMTP_HOST", None)

    with pytest.raises(ConfigError, match="SMTP_HOST must be set with MAIL_BACKEND=smtp"):
        load_config("development")


def test_production_with_the_file_backend_needs_no_smtp_host(production):
    production.setattr(ProductionConfig, "SMTP_HOST", None)
    production.setattr(ProductionConfig, "MAIL_BACKEND", "file")

    assert load_config("production")["MAIL_BACKEND"] == "file"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PUBLIC_BASE_URL", "signet.example.com", "absolute http"),
    ("PUBLIC_BASE_URL", "https://signet.example.com/?a=1", "without query"),
    ("PUBLIC_BASE_URL", "ftp://signet.example.com", "absolute http"),
    ("MAIL_BACKEND", "sendmail", "MAIL_BACKEND must be one of"),
    ("SMTP_SECURITY", "tls", "SMTP_SECURITY must be one of"),
])
def test_malformed_mail_settings_are_refused(production, name, value, message):
    production.setattr(ProductionConfig, name, value)

    with pytest.raises(ConfigError, match=message):
        load_config("production")


def development_settings(**env) -> dict:
    """The development settings a fresh interpreter computes under `env` alone."""
    # A fresh interpreter: the classes read the environment when config.py is imported.
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MAIL_", "SMTP_", "PUBLIC_BASE_URL", "HOST", "PORT"))}
    code = ("import json; from app.settings import build_settings; "
            "s = build_settings({'APP_ENV': 'development'}); print(json.dumps({"
            "'MAIL_BACKEND': s.mail.backend, 'MAIL_FILE_DIR': s.mail.file_dir, "
            "'PUBLIC_BASE_URL': s.web.public_base_url, 'SMTP_PORT': s.mail.smtp_port}))")
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                            check=True, capture_output=True, text=True).stdout
    if (ROOT / ".env").exists():
        pytest.skip(".env in the checkout may change the defaults")
    return json.loads(output)


def test_outside_production_mail_goes_to_files_and_links_to_localhost():
    settings = development_settings()
    assert settings["MAIL_BACKEND"] == "file"
    assert settings["MAIL_FILE_DIR"] == str(ROOT / "instance" / "mail")
    # localhost, not 127.0.0.1: WebAuthn refuses an IP address as the relying party id.
    assert settings["PUBLIC_BASE_URL"] == "http://localhost:8000"
    assert settings["SMTP_PORT"] == 587


@pytest.mark.parametrize(("env", "base"), [
    ({"PORT": "9410"}, "http://localhost:9410"),
    ({"HOST": "0.0.0.0", "PORT": "9411"}, "http://localhost:9411"),  # noqa: S104
    ({"HOST": "192.0.2.7"}, "http://192.0.2.7:8000"),
    ({"HOST": "2001:db8::7", "PORT": "9412"}, "http://[2001:db8::7]:9412"),
    ({"PORT": "9410", "PUBLIC_BASE_URL": "https://dev.example.com"}, "https://dev.example.com"),
])
def test_development_links_follow_where_the_server_listens(env, base):
    assert development_settings(**env)["PUBLIC_BASE_URL"] == base
