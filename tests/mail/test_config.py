"""Mail settings: production refuses to start without what delivery needs."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest

from app.settings import ConfigError, build_settings
from tests.live_server import ROOT

# (environment, the PUBLIC_BASE_URL development settings build from it)
LISTENING = [
    ({"PORT": "9410"}, "http://localhost:9410"),
    ({"HOST": "0.0.0.0", "PORT": "9411"}, "http://localhost:9411"),  # noqa: S104
    ({"HOST": "192.0.2.7"}, "http://192.0.2.7:8000"),
    ({"HOST": "2001:db8::7", "PORT": "9412"}, "http://[2001:db8::7]:9412"),
    ({"PORT": "9410", "PUBLIC_BASE_URL": "https://dev.example.com"}, "https://dev.example.com"),
]
DEVELOPMENT_ENVS = [{}, *(env for env, _ in LISTENING)]

STRONG = "x" * 48
# Any Fernet key: production refuses to start without one sealing the signing keys.
SEAL = "x7Tz2wV0dJ7cQFhJmQm3b5l8Qx5aYkqkS0fJbX1yXqU="
PRODUCTION = {"SIGNING_KEY_ENCRYPTION_KEY": SEAL,
              "APP_ENV": "production", "SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG,
              "PUBLIC_BASE_URL": "https://signet.example.com", "MAIL_BACKEND": "smtp",
              "SMTP_HOST": "smtp.example.com", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1"}


@pytest.fixture(autouse=True)
def no_mail_environment(monkeypatch):
    """Only what a test passes counts, whatever the shell running the suite exports."""
    for name in ("MAIL_BACKEND", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_complete_production_settings_load():
    mail = build_settings(PRODUCTION).mail

    assert mail.backend == "smtp"
    assert mail.smtp_port == 587
    assert mail.smtp_security == "starttls"


def test_production_refuses_to_start_without_public_base_url():
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be set in production"):
        build_settings({**PRODUCTION, "PUBLIC_BASE_URL": None})


def test_production_mails_by_smtp_and_refuses_to_start_without_smtp_host():
    without_backend = {k: v for k, v in PRODUCTION.items() if k not in ("MAIL_BACKEND",
                                                                         "SMTP_HOST")}
    with pytest.raises(ConfigError, match="SMTP_HOST must be set with MAIL_BACKEND=smtp"):
        build_settings(without_backend)


def test_smtp_without_smtp_host_is_refused_outside_production_too():
    with pytest.raises(ConfigError, match="SMTP_HOST must be set with MAIL_BACKEND=smtp"):
        build_settings({"APP_ENV": "development", "MAIL_BACKEND": "smtp"})


def test_production_with_the_file_backend_needs_no_smtp_host():
    built = build_settings({**PRODUCTION, "SMTP_HOST": None, "MAIL_BACKEND": "file"})
    assert built.mail.backend == "file"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PUBLIC_BASE_URL", "signet.example.com", "absolute http"),
    ("PUBLIC_BASE_URL", "https://signet.example.com/?a=1", "without query"),
    ("PUBLIC_BASE_URL", "ftp://signet.example.com", "absolute http"),
    ("MAIL_BACKEND", "sendmail", "MAIL_BACKEND='sendmail' is refused"),
    ("SMTP_SECURITY", "tls", "SMTP_SECURITY='tls' is refused"),
])
def test_malformed_mail_settings_are_refused(name, value, message):
    with pytest.raises(ConfigError, match=message):
        build_settings({**PRODUCTION, name: value})


def test_a_trailing_slash_of_the_base_url_is_dropped():
    built = build_settings({**PRODUCTION, "PUBLIC_BASE_URL": "https://signet.example.com/"})
    assert built.web.public_base_url == "https://signet.example.com"


def development_settings(**env) -> dict:
    """The development settings a fresh interpreter computes under `env` alone."""
    if (ROOT / ".env").exists():
        pytest.skip(".env in the checkout may change the defaults")
    return _development_settings_of_each()[DEVELOPMENT_ENVS.index(env)]


@functools.cache
def _development_settings_of_each() -> list[dict]:
    """development_settings of each of DEVELOPMENT_ENVS, from one fresh interpreter.

    Starting an interpreter and importing the app is most of these tests' time: one does
    them all, putting back the clean environment before each.
    """
    # A fresh interpreter: a .env or the shell of the suite must not leak in.
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MAIL_", "SMTP_", "PUBLIC_BASE_URL", "HOST", "PORT"))}
    code = ("import json, os, sys; from app.settings import build_settings\n"
            "clean = dict(os.environ)\n"
            "def built(env):\n"
            "    os.environ.clear(); os.environ.update({**clean, **env})\n"
            "    s = build_settings({'APP_ENV': 'development'})\n"
            "    return {'MAIL_BACKEND': s.mail.backend, 'MAIL_FILE_DIR': s.mail.file_dir,\n"
            "            'PUBLIC_BASE_URL': s.web.public_base_url, 'SMTP_PORT': s.mail.smtp_port}\n"
            "print(json.dumps([built(env) for env in json.loads(sys.argv[1])]))")
    output = subprocess.run([sys.executable, "-c", code, json.dumps(DEVELOPMENT_ENVS)],
                            cwd=ROOT, env=clean, check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output)


def test_outside_production_mail_goes_to_files_and_links_to_localhost():
    settings = development_settings()
    assert settings["MAIL_BACKEND"] == "file"
    assert settings["MAIL_FILE_DIR"] == str(ROOT / "instance" / "mail")
    # localhost, not 127.0.0.1: WebAuthn refuses an IP address as the relying party id.
    assert settings["PUBLIC_BASE_URL"] == "http://localhost:8000"
    assert settings["SMTP_PORT"] == 587


@pytest.mark.parametrize(("env", "base"), LISTENING)
def test_development_links_follow_where_the_server_listens(env, base):
    assert development_settings(**env)["PUBLIC_BASE_URL"] == base
