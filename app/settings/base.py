"""What every settings domain shares: the base class, the field helper, common checks.

A setting is one field of a domain model, named in Python (`mail.per_address_per_hour`)
and read from the environment variable of the contract (`MAIL_PER_ADDRESS_PER_HOUR`),
which pydantic-settings parses and validates; its description documents it
(docs/configuration.md and .env.example are generated from these fields).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from limits import parse_many
from pydantic import AliasChoices, Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

BASE_DIR = Path(__file__).resolve().parent.parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run the service safely."""


class Domain(BaseSettings):
    """The settings of one concern, read from the environment (an empty value is unset)."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True,
                                      case_sensitive=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        """The overrides, then the environment (build_settings loaded .env into it)."""
        return init_settings, env_settings


def setting(env: str, default: Any = None, doc: str = "", *, shown: str | None = None,
            secret: bool = False, example: str | None = None, also: tuple[str, ...] = (),
            **constraints: Any) -> Any:
    """A field read from environment variable `env` (then `also`), documented by `doc`.

    A callable default is called when the settings are built. `shown` replaces the
    default in the docs (when it is computed), `example` is the line
    .env.example suggests, and `secret` keeps the value out of error messages and docs.
    """
    alias = AliasChoices(env, *also) if also else env
    extra = {"env": env, "shown": shown, "secret": secret, "example": example}
    if callable(default):  # computed when the settings are built, not at import
        constraints["default_factory"] = default
    else:
        constraints["default"] = default
    return Field(validation_alias=alias, description=doc, json_schema_extra=extra,
                 **constraints)


def env_name(field: FieldInfo) -> str:
    """The environment variable a field is read from."""
    return field.json_schema_extra["env"]  # type: ignore[index]


def rate_limit(value: str) -> str:
    """Refuse a limit that is not in Flask-Limiter's notation ("10 per minute; 100/day")."""
    try:
        parse_many(value)
    except ValueError:
        raise ValueError("must be in Flask-Limiter's notation, such as '10 per minute' "
                         "or '5/hour; 100/day'") from None
    return value


def http_url(value: str) -> str:
    """Refuse anything but an absolute http(s) URL without query or fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise ValueError("must be an absolute http(s) URL without query or fragment "
                         "(for example https://signet.example.com)")
    return value.rstrip("/")


def fernet_keys(value: object) -> object:
    """Comma-separated Fernet keys (newest first) as a tuple; refuse one that is not a key."""
    keys = value.split(",") if isinstance(value, str) else value or ()
    keys = tuple(key.strip() for key in keys if key.strip())  # type: ignore[union-attr]
    try:
        for key in keys:
            Fernet(key)
    except ValueError:
        raise ValueError("must be Fernet keys (32 url-safe base64 bytes each), "
                         "comma-separated, newest first") from None
    return keys
