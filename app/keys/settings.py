"""The signing-key settings, read here only (config.py documents each one)."""

from __future__ import annotations

from cryptography.fernet import MultiFernet
from flask import Flask, current_app

from app.hashing import fernet_keys
from config import ConfigError

ASYMMETRIC = ("ES256", "EdDSA", "RS256")
SYMMETRIC = "HS256"
DEFAULT_ALGORITHM = "ES256"
ENCRYPTION_PURPOSE = b"signet signing key encryption"


def access_token_signing() -> str:
    """HS256, or the asymmetric algorithm access tokens are signed with (the keys')."""
    return current_app.config["ACCESS_TOKEN_SIGNING"]


def access_tokens_use_keys() -> bool:
    """True when API access tokens are signed with the published keys (RFC 9068)."""
    return current_app.config["ACCESS_TOKEN_SIGNING"] != SYMMETRIC


def issuer() -> str:
    """The `iss` of every token the keys sign: PUBLIC_BASE_URL."""
    return current_app.config["PUBLIC_BASE_URL"]


def access_token_audience() -> str:
    """The `aud` of asymmetric access tokens."""
    configured = current_app.config.get("ACCESS_TOKEN_AUDIENCE")
    return configured or f"{current_app.config['PUBLIC_BASE_URL']}/api/v1"


def new_key_algorithm() -> str:
    """The algorithm of keys made from now on."""
    configured = current_app.config.get("SIGNING_KEY_ALGORITHM")
    if configured:
        return configured
    signing = current_app.config["ACCESS_TOKEN_SIGNING"]
    return signing if signing in ASYMMETRIC else DEFAULT_ALGORITHM


def publish_seconds() -> int:
    """Seconds between a rotated key's publication and its first signature."""
    return current_app.config["SIGNING_KEY_PUBLISH_SECONDS"]


def refresh_seconds() -> int:
    """Seconds a worker trusts its copy of the keys before reading them again."""
    return current_app.config["SIGNING_KEY_REFRESH_SECONDS"]


def retired_key_seconds() -> int:
    """Seconds a retired key stays published: until every token it signed has expired.

    Another worker may still sign with it until its copy of the keys is refreshed, and a
    token it signed then lives as long as the longest-lived kind, plus the decode leeway.
    """
    config = current_app.config
    longest = max(int(config["SIGNING_KEY_MAX_TOKEN_SECONDS"]),
                  int(config["JWT_ACCESS_TOKEN_EXPIRES"]))
    leeway = config.get("JWT_DECODE_LEEWAY") or 0
    leeway = int(getattr(leeway, "total_seconds", lambda: leeway)())
    return refresh_seconds() + longest + leeway


def encryption() -> MultiFernet:
    """The Fernet keys sealing private keys at rest (derived from SECRET_KEY when unset)."""
    return fernet_keys(current_app.config.get("SIGNING_KEY_ENCRYPTION_KEY"),
                       fallback_secret=current_app.config["SECRET_KEY"],
                       purpose=ENCRYPTION_PURPOSE)


def check(app: Flask) -> None:
    """Refuse at start-up the settings that would fail later, or keep keys in clear text."""
    config = app.config
    signing = config["ACCESS_TOKEN_SIGNING"]
    if signing not in (SYMMETRIC, *ASYMMETRIC):
        raise ConfigError(f"ACCESS_TOKEN_SIGNING must be one of HS256, "
                          f"{', '.join(ASYMMETRIC)}; got {signing!r}.")
    algorithm = config.get("SIGNING_KEY_ALGORITHM")
    if algorithm and algorithm not in ASYMMETRIC:
        raise ConfigError(f"SIGNING_KEY_ALGORITHM must be one of {', '.join(ASYMMETRIC)}; "
                          f"got {algorithm!r}.")
    if algorithm and signing in ASYMMETRIC and algorithm != signing:
        raise ConfigError(f"ACCESS_TOKEN_SIGNING={signing} and SIGNING_KEY_ALGORITHM="
                          f"{algorithm} disagree: set one of them.")
    for name in ("SIGNING_KEY_PUBLISH_SECONDS", "SIGNING_KEY_REFRESH_SECONDS",
                 "SIGNING_KEY_MAX_TOKEN_SECONDS"):
        if int(config[name]) < 0:
            raise ConfigError(f"{name} must be 0 or more seconds.")
    configured = config.get("SIGNING_KEY_ENCRYPTION_KEY")
    if not configured and config["APP_ENV"] == "production":
        raise ConfigError(
            "SIGNING_KEY_ENCRYPTION_KEY must be set in production: the key that encrypts "
            "the private signing keys in the database (generate one with python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())').")
    try:
        fernet_keys(configured, fallback_secret=config["SECRET_KEY"] or "",
                    purpose=ENCRYPTION_PURPOSE)
    except ValueError as error:
        raise ConfigError("SIGNING_KEY_ENCRYPTION_KEY must be Fernet keys (32 url-safe "
                          "base64 bytes each), comma-separated, newest first.") from error
