"""Settings of sign-in with other providers: AUTH_PROVIDERS and each AUTH_PROVIDER_<ID>_*.

The per-provider names are open-ended (the id is the operator's), so they are collected
by build_settings (`dynamic_values`) and parsed here into Provider records at start-up: a
provider configured half-way stops it, with a sentence naming the missing setting.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import PrivateAttr, field_validator, model_validator
from pydantic_settings import NoDecode

from app.settings.base import Domain, setting

PREFIX = "AUTH_PROVIDER_"
DYNAMIC = "AUTH_PROVIDER_<ID>_*"
# What each provider may set, after AUTH_PROVIDER_<ID>_.
SUFFIXES = ("PRESET", "ISSUER", "CLIENT_ID", "CLIENT_SECRET", "NAME", "SCOPES", "TRUST_EMAIL",
            "AUDIENCES", "GITHUB_URL", "GITHUB_API_URL")
DEFAULT_SCOPES = "openid email profile"
GITHUB_SCOPES = "read:user user:email"
GITHUB = "github"
PRESETS = (GITHUB,)
# Ids appear in URLs and in the names of settings: lower-case letters, digits and dashes.
PROVIDER_ID = re.compile(r"[a-z][a-z0-9-]{0,31}")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


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


def is_provider_name(name: str) -> bool:
    """True for an AUTH_PROVIDER_<ID>_<what> name a provider may set."""
    return name.startswith(PREFIX) and any(
        name.endswith("_" + suffix) and len(name) > len(PREFIX) + len(suffix) + 1
        for suffix in SUFFIXES)


def provider_hint(name: str) -> str | None:
    """The provider setting a misspelt AUTH_PROVIDER_<ID>_<what> name probably meant."""
    tail = name.removeprefix(PREFIX)
    for cut in (i for i, char in enumerate(tail) if char == "_"):
        close = difflib.get_close_matches(tail[cut + 1:], SUFFIXES, n=1, cutoff=0.75)
        if close:
            return f"{PREFIX}{tail[:cut]}_{close[0]}"
    return None


def dynamic_values(given: Mapping[str, object], environ: Mapping[str, str]) -> dict:
    """Every AUTH_PROVIDER_<ID>_* value set, the overrides winning over the environment."""
    values = {name: value for name, value in environ.items() if is_provider_name(name)}
    values.update({name: value for name, value in given.items() if is_provider_name(name)})
    return {DYNAMIC: {name: str(value) for name, value in values.items()
                                if value not in (None, "")}}


class FederationSettings(Domain):
    """Which providers users may sign in with, and how long a call to one may take."""

    ids: Annotated[tuple[str, ...], NoDecode] = setting(
        "AUTH_PROVIDERS", (),
        "provider ids, comma-separated (lower-case letters, digits, dashes); each must allow "
        "the redirect URI `{PUBLIC_BASE_URL}/api/v1/auth/providers/<id>/callback`",
        shown="none", example="google,github")
    timeout: float = setting(
        "AUTH_PROVIDER_TIMEOUT", 5.0,
        "seconds any one call to a provider (discovery, keys, token, GitHub's API) may take",
        gt=0)
    provider_values: dict[str, str] = setting(
        DYNAMIC, {},
        "each provider's settings: `ISSUER` (OpenID), or `PRESET=github` (with `GITHUB_URL`, "
        "`GITHUB_API_URL` for Enterprise); `CLIENT_ID` (**required**), `CLIENT_SECRET`, "
        "`NAME`, `SCOPES`, `TRUST_EMAIL`, `AUDIENCES` (more accepted `aud`)",
        shown="none", secret=True,
        example="# AUTH_PROVIDER_GOOGLE_ISSUER=https://accounts.google.com\n"
                "# AUTH_PROVIDER_GOOGLE_CLIENT_ID=\n# AUTH_PROVIDER_GOOGLE_CLIENT_SECRET=\n"
                "# AUTH_PROVIDER_GITHUB_PRESET=github\n# AUTH_PROVIDER_GITHUB_CLIENT_ID=\n"
                "# AUTH_PROVIDER_GITHUB_CLIENT_SECRET=")
    _providers: tuple[Provider, ...] = PrivateAttr(default=())

    @field_validator("ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        ids = value.split(",") if isinstance(value, str) else value
        ids = tuple(part.strip().lower() for part in ids if part.strip())  # type: ignore[union-attr]
        for provider_id in ids:
            if not PROVIDER_ID.fullmatch(provider_id):
                raise ValueError(f"{provider_id!r} is not a valid id (lower-case letters, "
                                 "digits and dashes)")
        return ids

    @model_validator(mode="after")
    def _parse(self) -> FederationSettings:
        self._providers = tuple(self._load(provider_id) for provider_id in self.ids)
        return self

    @property
    def providers(self) -> tuple[Provider, ...]:
        """Every configured provider, in AUTH_PROVIDERS order."""
        return self._providers

    def _value(self, provider_id: str, name: str, default: str | None = None) -> str | None:
        key = f"{PREFIX}{provider_id.upper().replace('-', '_')}_{name}"
        return self.provider_values.get(key, default)

    def _load(self, provider_id: str) -> Provider:
        upper = provider_id.upper().replace("-", "_")
        preset = self._value(provider_id, "PRESET")
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"AUTH_PROVIDER_{upper}_PRESET must be one of "
                             f"{', '.join(PRESETS)}, got {preset!r}")
        client_id, issuer = (self._value(provider_id, "CLIENT_ID"),
                             self._value(provider_id, "ISSUER"))
        if not client_id:
            raise ValueError(f"AUTH_PROVIDER_{upper}_CLIENT_ID must be set: the client id "
                             "the provider gave this service")
        if preset is None and not issuer:
            raise ValueError(f"AUTH_PROVIDER_{upper}_ISSUER must be set (or "
                             f"AUTH_PROVIDER_{upper}_PRESET=github)")
        audiences = tuple(a.strip() for a in self._value(provider_id, "AUDIENCES", "").split(",")
                          if a.strip())
        github = preset == GITHUB
        return Provider(
            id=provider_id,
            name=self._value(provider_id, "NAME", "GitHub" if github else provider_id.title()),
            client_id=client_id,
            client_secret=self._value(provider_id, "CLIENT_SECRET"),
            scopes=self._value(provider_id, "SCOPES", GITHUB_SCOPES if github else DEFAULT_SCOPES),
            trust_email=self._value(provider_id, "TRUST_EMAIL", "false").lower() in TRUE_WORDS,
            issuer=issuer.rstrip("/") if issuer and not github else None,
            audiences=(client_id, *audiences),
            preset=preset,
            github_url=self._value(provider_id, "GITHUB_URL", "https://github.com").rstrip("/"),
            github_api_url=self._value(provider_id, "GITHUB_API_URL",
                                       "https://api.github.com").rstrip("/"),
        )
