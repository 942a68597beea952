"""The provider settings as app/federation uses them (parsed and checked by app/settings)."""

from __future__ import annotations

from app.exceptions import NotFound
from app.settings import settings
from app.settings.providers import Provider

__all__ = ["Provider", "configured_providers", "get_provider", "provider_ids", "timeout"]


def timeout() -> float:
    """Seconds any one call to a provider may take."""
    return settings().federation.timeout


def provider_ids() -> list[str]:
    """The ids AUTH_PROVIDERS names, in its order."""
    return list(settings().federation.ids)


def configured_providers() -> list[Provider]:
    """Every configured provider, in AUTH_PROVIDERS order."""
    return list(settings().federation.providers)


def get_provider(provider_id: str) -> Provider:
    """The configured provider with this id, or a 404."""
    for provider in settings().federation.providers:
        if provider.id == provider_id:
            return provider
    raise NotFound("No sign-in provider has this id.")
