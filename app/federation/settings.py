"""The one place the provider settings are read: AUTH_PROVIDERS and AUTH_PROVIDER_<ID>_*.

Read from the app's configuration on every call (cheap: a handful of keys), so a test's
overrides and a typed-settings layer later replace this module alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from app.exceptions import NotFound

DEFAULT_SCOPES = "openid email profile"
GITHUB_SCOPES = "read:user user:email"
GITHUB = "github"
PRESETS = (GITHUB,)
# Ids appear in URLs and in the names of settings: lower-case letters, digits and dashes.
PROVIDER_ID = re.compile(r"[a-z][a-z0-9-]{0,31}")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class ProviderConfigError(RuntimeError):
    """A provider named in AUTH_PROVIDERS lacks what it needs (said at start-up)."""


@dataclass(frozen=True)
class Provider:
    """One configured provider: an OpenID issuer, or the GitHub preset."""

    id: str
    name: str
    client_id: str
    client_secret: str | None
    scopes: str
    trust_email: bool
    issuer: str | None = None  # OpenID Connect: discovery at <issuer>/.well-known/...
    audiences: tuple[str, ...] = ()  # accepted `aud` for POST .../id-token
    preset: str | None = None
    github_url: str = "https://github.com"  # GitHub Enterprise Server: its own address
    github_api_url: str = "https://api.github.com"

    @property
    def is_github(self) -> bool:
        """True for the GitHub preset (OAuth 2, no ID token)."""
        return self.preset == GITHUB

    @property
    def identity_issuer(self) -> str:
        """The `issuer` half of an identity this provider vouches for."""
        return self.github_url if self.is_github else self.issuer or ""


def timeout() -> float:
    """Seconds any one call to a provider may take."""
    return float(current_app.config["AUTH_PROVIDER_TIMEOUT"])


def provider_ids() -> list[str]:
    """The ids AUTH_PROVIDERS names, in its order."""
    raw = current_app.config.get("AUTH_PROVIDERS") or ""
    return [part.strip().lower() for part in raw.split(",") if part.strip()]


def configured_providers() -> list[Provider]:
    """Every configured provider, in AUTH_PROVIDERS order."""
    return [_load(provider_id) for provider_id in provider_ids()]


def get_provider(provider_id: str) -> Provider:
    """The configured provider with this id, or a 404."""
    if provider_id not in provider_ids():
        raise NotFound("No sign-in provider has this id.")
    return _load(provider_id)


def check_provider_settings() -> None:
    """Fail at start-up, with a sentence, on a provider configured half-way."""
    for provider_id in provider_ids():
        _load(provider_id)


def _setting(provider_id: str, name: str, default: str | None = None) -> str | None:
    key = f"AUTH_PROVIDER_{provider_id.upper().replace('-', '_')}_{name}"
    value = current_app.config.get(key)
    return default if value in (None, "") else str(value)


def _load(provider_id: str) -> Provider:
    if not PROVIDER_ID.fullmatch(provider_id):
        raise ProviderConfigError(f"AUTH_PROVIDERS: {provider_id!r} is not a valid id "
                                  "(lower-case letters, digits and dashes).")
    upper = provider_id.upper().replace("-", "_")
    preset = _setting(provider_id, "PRESET")
    if preset is not None and preset not in PRESETS:
        raise ProviderConfigError(f"AUTH_PROVIDER_{upper}_PRESET must be one of "
                                  f"{', '.join(PRESETS)}, got {preset!r}.")
    client_id = _setting(provider_id, "CLIENT_ID")
    issuer = _setting(provider_id, "ISSUER")
    if not client_id:
        raise ProviderConfigError(f"AUTH_PROVIDER_{upper}_CLIENT_ID must be set: the "
                                  "client id the provider gave this service.")
    if preset is None and not issuer:
        raise ProviderConfigError(f"AUTH_PROVIDER_{upper}_ISSUER must be set (or "
                                  f"AUTH_PROVIDER_{upper}_PRESET=github).")
    audiences = tuple(a.strip() for a in (_setting(provider_id, "AUDIENCES") or "").split(",")
                      if a.strip())
    github = preset == GITHUB
    return Provider(
        id=provider_id,
        name=_setting(provider_id, "NAME", "GitHub" if github else provider_id.title()),
        client_id=client_id,
        client_secret=_setting(provider_id, "CLIENT_SECRET"),
        scopes=_setting(provider_id, "SCOPES", GITHUB_SCOPES if github else DEFAULT_SCOPES),
        trust_email=(_setting(provider_id, "TRUST_EMAIL", "false").lower() in TRUE_WORDS),
        issuer=issuer.rstrip("/") if issuer and not github else None,
        audiences=(client_id, *audiences),
        preset=preset,
        github_url=_setting(provider_id, "GITHUB_URL", "https://github.com").rstrip("/"),
        github_api_url=_setting(provider_id, "GITHUB_API_URL",
                                "https://api.github.com").rstrip("/"),
    )
