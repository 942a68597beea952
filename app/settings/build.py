"""The one Settings object: every domain, built from the environment and validated once.

Precedence, highest first: the overrides given to `create_app` (tests), the environment
(and `.env`), the defaults of the APP_ENV profile (PROFILE_DEFAULTS), the field default.
Any wrong value stops the build with a ConfigError of one sentence naming the setting.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

from dotenv import load_dotenv
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from app.settings.base import BASE_DIR, ConfigError, Domain, env_name
from app.settings.data import (
    AuditSettings,
    DatabaseSettings,
    FileSettings,
    ImageSettings,
    StorageSettings,
)
from app.settings.limits import RateLimitSettings
from app.settings.local import development_secret, listening_url
from app.settings.providers import (
    FederationSettings,
    dynamic_values,
    is_provider_name,
    provider_hint,
)
from app.settings.security import (
    AccountSettings,
    MfaSettings,
    RevocationSettings,
    TokenSettings,
    WebSettings,
)
from app.settings.services import GunicornSettings, MailSettings
from app.settings.signing import OpenIdSettings, SigningSettings

MIN_SECRET_BYTES = 32
APP_ENVS = ("development", "testing", "production")
# Built in this order: a profile default may use a domain built before it (gunicorn's
# HOST and PORT make the development PUBLIC_BASE_URL).
DOMAINS: dict[str, type[Domain]] = {
    "gunicorn": GunicornSettings, "db": DatabaseSettings, "web": WebSettings,
    "storage": StorageSettings, "files": FileSettings, "images": ImageSettings,
    "accounts": AccountSettings, "tokens": TokenSettings, "revocation": RevocationSettings,
    "mfa": MfaSettings, "ratelimit": RateLimitSettings, "mail": MailSettings,
    "audit": AuditSettings, "signing": SigningSettings, "federation": FederationSettings,
    "openid": OpenIdSettings,
}
Default = Any | Callable[[dict], Any]
# Defaults that differ by APP_ENV; a callable is called (with the domains built so far)
# only when nothing else gives the setting a value.
PROFILE_DEFAULTS: dict[str, dict[str, Default]] = {
    "development": {
        "SECRET_KEY": lambda built: development_secret("SECRET_KEY"),
        "JWT_SECRET_KEY": lambda built: development_secret("JWT_SECRET_KEY"),
        # `PORT=9410 make run` mails working links.
        "PUBLIC_BASE_URL": lambda built: listening_url(built["gunicorn"].host,
                                                       built["gunicorn"].port),
    },
    "testing": {
        "BCRYPT_LOG_ROUNDS": 4,
        "RATELIMIT_ENABLED": False,
        # Tests that switch limits on choose their store; none shares a file by accident.
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "testing-secret-key-that-is-long-enough-0123",
        "JWT_SECRET_KEY": "testing-jwt-secret-that-is-long-enough-0123",
        # Fixed whatever PORT a live test server has: tests compare links to it.
        "PUBLIC_BASE_URL": "http://localhost:8000",
    },
    "production": {
        # Production is served over HTTPS: cookies holding tokens never travel in clear.
        "JWT_COOKIE_SECURE": True,
        "MAIL_BACKEND": "smtp",
    },
}
# Names the overrides of create_app also accept (tests pass Flask-SQLAlchemy's).
OVERRIDE_ALIASES = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
# Variables with a prefix of ours that belong to someone else.
FOREIGN = frozenset({"GUNICORN_CMD_ARGS", "AWS_PROFILE", "AWS_SESSION_TOKEN"})


class Settings(BaseModel):
    """Every setting of the service, by domain: `settings().mail.per_address_per_hour`."""

    model_config = ConfigDict(frozen=True)

    app_env: Literal["development", "testing", "production"]
    gunicorn: GunicornSettings
    db: DatabaseSettings
    web: WebSettings
    storage: StorageSettings
    files: FileSettings
    images: ImageSettings
    accounts: AccountSettings
    tokens: TokenSettings
    revocation: RevocationSettings
    mfa: MfaSettings
    ratelimit: RateLimitSettings
    mail: MailSettings
    audit: AuditSettings
    signing: SigningSettings
    federation: FederationSettings
    openid: OpenIdSettings

    @model_validator(mode="after")
    def _production_is_complete(self) -> Settings:
        if self.app_env != "production":
            return self
        for name, value in (("SECRET_KEY", self.web.secret_key),
                            ("JWT_SECRET_KEY", self.tokens.jwt_secret_key)):
            if not value or len(value.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"{name} must be set to a random value of at least {MIN_SECRET_BYTES} "
                    "bytes in production (for example: python -c "
                    "'import secrets; print(secrets.token_urlsafe(48))').")
        if not self.web.public_base_url:
            raise ValueError(
                "PUBLIC_BASE_URL must be set in production: the address users open the "
                "service at, used for the links in mail (for example "
                "PUBLIC_BASE_URL=https://signet.example.com).")
        if not self.signing.encryption_keys:
            raise ValueError(
                "SIGNING_KEY_ENCRYPTION_KEY must be set in production: the key that encrypts "
                "the private signing keys in the database (generate one with python -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())').")
        uri, workers = self.ratelimit.storage_uri, self.gunicorn.workers
        if self.ratelimit.enabled and uri.startswith("memory") and workers > 1:
            # With memory:// every worker counts alone: 4 workers let 4x every limit through.
            raise ValueError(
                f"RATELIMIT_STORAGE_URI={uri} counts per worker, so {workers} workers would "
                f"let {workers}x every rate limit through. Unset it (a SQLite file that "
                "every worker of this instance shares), set redis://host:6379/0 (shared by "
                "every instance), or run one worker (WEB_CONCURRENCY=1).")
        return self


@functools.cache
def known_names() -> dict[str, tuple[str, str]]:
    """Every environment variable read, with the (domain, field) it sets."""
    names = {}
    for domain, model in DOMAINS.items():
        for field_name, field in model.model_fields.items():
            for alias in getattr(field.validation_alias, "choices", [env_name(field)]):
                names[alias] = (domain, field_name)
    return names


def build_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read, check and return every setting; ConfigError names the first wrong one."""
    load_dotenv(BASE_DIR / ".env")  # never overrides the real environment
    given = {OVERRIDE_ALIASES.get(k, k): v for k, v in (overrides or {}).items()}
    refuse_unknown(given, os.environ)
    app_env = given.pop("APP_ENV", None) or os.environ.get("APP_ENV") or "development"
    if app_env not in APP_ENVS:
        raise ConfigError(f"APP_ENV={app_env!r} is refused: it must be one of "
                          f"{', '.join(APP_ENVS)}.")
    profile = PROFILE_DEFAULTS[app_env]
    built: dict[str, Domain] = {}
    for domain, model in DOMAINS.items():
        init = dynamic_values(given, os.environ) if model is FederationSettings else {}
        for field in model.model_fields.values():
            env = env_name(field)
            if env in given:
                init[env] = given[env]
            elif env in profile and not os.environ.get(env):
                default = profile[env]
                init[env] = default(built) if callable(default) else default
        built[domain] = _validated(model, init)
    return _validated(Settings, {"app_env": app_env, **built})


def refuse_unknown(given: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    """Refuse an override, or a variable with one of our prefixes, that no setting reads."""
    known = set(known_names()) | {"APP_ENV"}
    prefixes = {name.split("_", 1)[0] + "_" for name in known if "_" in name} - {"AWS_"}
    suspects = [name for name in given if name not in known and not is_provider_name(name)]
    suspects += sorted(name for name in environ if name.startswith(tuple(prefixes))
                       and name not in known and name not in FOREIGN
                       and not is_provider_name(name))
    if suspects:
        name = suspects[0]
        close = difflib.get_close_matches(name, known, n=1)
        if name.startswith("AUTH_PROVIDER_"):  # open-ended names: the closest suffix
            close = [hint] if (hint := provider_hint(name)) else close
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{name} is not a Signet setting{hint}; see docs/configuration.md.")


def _validated(model: type[BaseModel], values: dict) -> Any:
    try:
        return model(**values)
    except ValidationError as error:
        raise ConfigError(sentence(error)) from None


def sentence(error: ValidationError) -> str:
    """One sentence naming the first wrong setting (a secret's value is never shown)."""
    first = error.errors()[0]
    message = first["msg"].removeprefix("Value error, ").rstrip(".")
    if not first["loc"]:
        return message + "."
    name = str(first["loc"][0])
    hidden = _is_secret(name) or first["type"] == "missing"
    shown = "" if hidden else f"={first['input']!r}"
    return f"{name}{shown} is refused: {message[0].lower()}{message[1:]}."


def _is_secret(name: str) -> bool:
    where = known_names().get(name)
    if where is None:
        return False
    extra = DOMAINS[where[0]].model_fields[where[1]].json_schema_extra or {}
    return bool(extra.get("secret"))  # type: ignore[union-attr]
