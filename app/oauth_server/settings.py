"""Every setting the OpenID Provider reads, typed, in one place."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app


def issuer() -> str:
    """The provider's `iss`: PUBLIC_BASE_URL without a trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def code_lifetime() -> timedelta:
    """How long an authorization code may be exchanged."""
    return timedelta(seconds=int(current_app.config["OAUTH_CODE_EXPIRES"]))


def access_token_lifetime() -> int:
    """Seconds an application's access token lives."""
    return int(current_app.config["OAUTH_ACCESS_TOKEN_EXPIRES"])


def refresh_token_lifetime() -> timedelta:
    """How long an application's refresh token lives (never beyond its session)."""
    return timedelta(seconds=int(current_app.config["OAUTH_REFRESH_TOKEN_EXPIRES"]))


def id_token_lifetime() -> int:
    """Seconds an ID token is valid."""
    return int(current_app.config["OAUTH_ID_TOKEN_EXPIRES"])


def reuse_grace() -> timedelta:
    """A rotated refresh token replayed later than this revokes its whole family."""
    return timedelta(seconds=int(current_app.config["REFRESH_REUSE_GRACE_SECONDS"]))
