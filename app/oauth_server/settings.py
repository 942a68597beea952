"""Every setting the OpenID Provider reads, typed, in one place (checked by app/settings)."""

from __future__ import annotations

from datetime import timedelta

from app.settings import settings


def issuer() -> str:
    """The provider's `iss`: PUBLIC_BASE_URL without a trailing slash."""
    return (settings().web.public_base_url or "").rstrip("/")


def code_lifetime() -> timedelta:
    """How long an authorization code may be exchanged."""
    return timedelta(seconds=settings().openid.code_expires)


def access_token_lifetime() -> int:
    """Seconds an application's access token lives."""
    return settings().openid.access_token_expires


def refresh_token_lifetime() -> timedelta:
    """How long an application's refresh token lives (never beyond its session)."""
    return timedelta(seconds=settings().openid.refresh_token_expires)


def id_token_lifetime() -> int:
    """Seconds an ID token is valid."""
    return settings().openid.id_token_expires


def reuse_grace() -> timedelta:
    """A rotated refresh token replayed later than this revokes its whole family."""
    return timedelta(seconds=settings().tokens.refresh_reuse_grace_seconds)
