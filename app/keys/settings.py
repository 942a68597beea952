"""The signing-key settings as app/keys uses them (checked at start-up by app/settings)."""

from __future__ import annotations

from cryptography.fernet import MultiFernet
from flask import current_app

from app.hashing import fernet_keys
from app.settings import settings
from app.settings.signing import ASYMMETRIC

SYMMETRIC = "HS256"
ENCRYPTION_PURPOSE = b"signet signing key encryption"
__all__ = ["ASYMMETRIC", "SYMMETRIC"]


def access_token_signing() -> str:
    """HS256, or the asymmetric algorithm access tokens are signed with (the keys')."""
    return settings().signing.access_token_signing


def access_tokens_use_keys() -> bool:
    """True when API access tokens are signed with the published keys (RFC 9068)."""
    return settings().signing.access_token_signing != SYMMETRIC


def issuer() -> str:
    """The `iss` of every token the keys sign: PUBLIC_BASE_URL."""
    return settings().web.public_base_url or ""


def access_token_audience() -> str:
    """The `aud` of asymmetric access tokens."""
    return settings().signing.access_token_audience or f"{issuer()}/api/v1"


def new_key_algorithm() -> str:
    """The algorithm of keys made from now on."""
    return settings().signing.new_key_algorithm


def publish_seconds() -> int:
    """Seconds between a rotated key's publication and its first signature."""
    return settings().signing.publish_seconds


def refresh_seconds() -> int:
    """Seconds a worker trusts its copy of the keys before reading them again."""
    return settings().signing.refresh_seconds


def retired_key_seconds() -> int:
    """Seconds a retired key stays published: until every token it signed has expired.

    Another worker may still sign with it until its copy of the keys is refreshed, and a
    token it signed then lives as long as the longest-lived kind, plus the decode leeway.
    """
    built = settings()
    longest = max(built.signing.max_token_seconds, built.tokens.access_expires)
    leeway = current_app.config.get("JWT_DECODE_LEEWAY") or 0  # Flask-JWT-Extended's key
    leeway = int(getattr(leeway, "total_seconds", lambda: leeway)())
    return refresh_seconds() + longest + leeway


def encryption() -> MultiFernet:
    """The Fernet keys sealing private keys at rest (derived from SECRET_KEY when unset)."""
    built = settings()
    return fernet_keys(",".join(built.signing.encryption_keys),
                       fallback_secret=built.web.secret_key or "", purpose=ENCRYPTION_PURPOSE)
