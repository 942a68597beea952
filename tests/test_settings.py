"""Settings are checked once, at start-up: a wrong one stops create_app naming it."""

from __future__ import annotations

import pytest

from app import create_app
from app.settings import ConfigError, build_settings

FERNET_KEY = "x7Tz2wV0dJ7cQFhJmQm3b5l8Qx5aYkqkS0fJbX1yXqU="


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MFA_ENCRYPTION_KEY", "not a fernet key", "MFA_ENCRYPTION_KEY is refused: must be Fernet"),
    ("JWT_ALGORITHM", "none", "JWT_ALGORITHM='none' is refused"),
    ("JWT_ALGORITHM", "RS256", "JWT_ALGORITHM='RS256' is refused"),
    ("STORAGE_BACKEND", "ftp", "STORAGE_BACKEND='ftp' is refused"),
    ("MAIL_BACKEND", "sendmail", "MAIL_BACKEND='sendmail' is refused"),
    ("SMTP_SECURITY", "tls", "SMTP_SECURITY='tls' is refused"),
    ("SMTP_PORT", "smtp", "SMTP_PORT='smtp' is refused"),
    ("RATELIMIT_STORAGE_URI", "nowhere", "RATELIMIT_STORAGE_URI is refused"),
    ("LOGIN_RATE_LIMIT", "ten a minute", "LOGIN_RATE_LIMIT='ten a minute' is refused"),
    ("REVOCATION_STORE_URL", "memcached://x", "REVOCATION_STORE_URL is refused"),
    ("DB_RETRY_ATTEMPTS", "0", "DB_RETRY_ATTEMPTS='0' is refused"),
    ("RATELIMIT_ENABLED", "maybe", "RATELIMIT_ENABLED='maybe' is refused"),
    ("EMAIL_VERIFICATION", "sometimes", "EMAIL_VERIFICATION='sometimes' is refused"),
    ("PUBLIC_BASE_URL", "signet.example.com", "PUBLIC_BASE_URL='signet.example.com' is"),
    ("PROFILE_IMAGE_DECODE_SECONDS", "soon", "PROFILE_IMAGE_DECODE_SECONDS='soon' is"),
    ("WEB_CONCURRENCY", "many", "WEB_CONCURRENCY='many' is refused"),
    ("APP_ENV", "prod", "APP_ENV='prod' is refused"),
    ("ACCESS_TOKEN_SIGNING", "PS256", "ACCESS_TOKEN_SIGNING='PS256' is refused"),
    ("SIGNING_KEY_ENCRYPTION_KEY", "not a fernet key",
     "SIGNING_KEY_ENCRYPTION_KEY is refused: must be Fernet"),
    ("OAUTH_CODE_EXPIRES", "0", "OAUTH_CODE_EXPIRES='0' is refused"),
    ("AUTH_PROVIDER_TIMEOUT", "-1", "AUTH_PROVIDER_TIMEOUT='-1' is refused"),
    ("AUTH_PROVIDERS", "Google!", "AUTH_PROVIDERS='Google!' is refused"),
])
def test_an_invalid_setting_stops_start_up_naming_it(app_config, name, value, message):
    with pytest.raises(ConfigError) as refused:
        create_app({**app_config, name: value})
    assert message in str(refused.value)
    assert str(refused.value).count(".") >= 1 and "\n" not in str(refused.value)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MAIL_BAKEND", "smtp", "MAIL_BAKEND is not a Signet setting (did you mean MAIL_BACKEND?)"),
    ("JWT_ALGORITM", "HS512", "JWT_ALGORITM is not a Signet setting (did you mean JWT_ALGORITHM?)"),
    ("S3_BUKET", "files", "S3_BUKET is not a Signet setting (did you mean S3_BUCKET?)"),
    ("RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0",
     "RATELIMIT_STORAGE_URL is not a Signet setting (did you mean RATELIMIT_STORAGE_URI?)"),
    ("MFA_ENCRYPTION_KEYS", FERNET_KEY,
     "MFA_ENCRYPTION_KEYS is not a Signet setting (did you mean MFA_ENCRYPTION_KEY?)"),
    ("AUTH_PROVIDER_GOOGLE_CLIENTID", "signet", "AUTH_PROVIDER_GOOGLE_CLIENTID is not a "
     "Signet setting (did you mean AUTH_PROVIDER_GOOGLE_CLIENT_ID?)"),
    ("SIGNING_KEY_PUBLISH_SECOND", "60", "SIGNING_KEY_PUBLISH_SECOND is not a Signet setting "
     "(did you mean SIGNING_KEY_PUBLISH_SECONDS?)"),
    ("OAUTH_CODE_EXPIRE", "60",
     "OAUTH_CODE_EXPIRE is not a Signet setting (did you mean OAUTH_CODE_EXPIRES?)"),
])
def test_a_misspelt_variable_in_the_environment_stops_start_up(
        app_config, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?")):
        create_app(app_config)


def test_a_misspelt_override_is_refused_too(app_config):
    with pytest.raises(ConfigError, match="MAIL_PER_ADRESS_PER_HOUR is not a Signet setting"):
        create_app({**app_config, "MAIL_PER_ADRESS_PER_HOUR": 2})


@pytest.mark.parametrize(("env", "message"), [
    ({"MAIL_BACKEND": "smtp"}, "SMTP_HOST must be set with MAIL_BACKEND=smtp"),
    ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
])
def test_settings_that_need_each_other_are_refused_together(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        build_settings({"APP_ENV": "testing"})


def test_a_secret_value_is_never_repeated_in_the_message():
    with pytest.raises(ConfigError) as refused:
        build_settings({"APP_ENV": "testing", "MFA_ENCRYPTION_KEY": "hunter2-secret"})
    assert "hunter2" not in str(refused.value)


def test_values_arrive_typed_and_once():
    built = build_settings({"APP_ENV": "testing", "MAIL_PER_ADDRESS_PER_HOUR": "7",
                            "RATELIMIT_ENABLED": "yes",
                            "ALLOWED_FILE_TYPES": "image/png, text/plain",
                            "MFA_ENCRYPTION_KEY": f" {FERNET_KEY} ,"})
    assert built.mail.per_address_per_hour == 7
    assert built.ratelimit.enabled is True
    assert built.files.allowed_types == ("image/png", "text/plain")
    assert built.mfa.encryption_keys == (FERNET_KEY,)
    assert built.accounts.bcrypt_log_rounds == 4  # the testing profile's default


def test_an_empty_variable_counts_as_unset_except_gunicorns_access_log(monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "")
    monkeypatch.setenv("PORT", "")
    monkeypatch.setenv("GUNICORN_ACCESSLOG", "")
    built = build_settings({"APP_ENV": "testing"})
    assert built.mail.smtp_port == 587
    assert built.gunicorn.port == 8000
    assert built.gunicorn.accesslog == ""


def test_a_provider_configured_half_way_stops_start_up_naming_the_missing_setting(app_config):
    with pytest.raises(ConfigError) as refused:
        create_app({**app_config, "AUTH_PROVIDERS": "acme",
                    "AUTH_PROVIDER_ACME_ISSUER": "https://id.example.test"})
    assert str(refused.value).startswith("AUTH_PROVIDER_ACME_CLIENT_ID must be set")


def test_a_provider_reads_its_open_ended_settings_from_the_environment(app_config, monkeypatch):
    monkeypatch.setenv("AUTH_PROVIDER_ACME_CLIENT_ID", "from-env")
    built = build_settings({**app_config, "AUTH_PROVIDERS": "acme",
                            "AUTH_PROVIDER_ACME_ISSUER": "https://id.example.test/"})
    [acme] = built.federation.providers
    assert (acme.id, acme.client_id, acme.issuer) == ("acme", "from-env",
                                                      "https://id.example.test")
