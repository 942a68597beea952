"""Encryption at rest of TOTP secrets (Fernet: AES-128-CBC with HMAC-SHA256).

MFA_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated, newest first: the first
encrypts, every one decrypts, so a key can be rotated without locking anyone out
(docs/operations.md, "Rotating the MFA key"; `flask mfa rotate-key` re-encrypts every
secret with the first).
Unset, the key is derived from SECRET_KEY with HKDF, so changing SECRET_KEY then also
needs a rotation.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken, MultiFernet
from flask import current_app

from app.hashing import fernet_keys
from config import ConfigError

HKDF_INFO = b"signet mfa totp secret encryption"


def _fernet() -> MultiFernet:
    try:
        return fernet_keys(current_app.config.get("MFA_ENCRYPTION_KEY"),
                           fallback_secret=current_app.config["SECRET_KEY"], purpose=HKDF_INFO)
    except ValueError as error:
        raise ConfigError("MFA_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 "
                          "bytes each), comma-separated.") from error


def encrypt(plaintext: str) -> str:
    """Encrypt a secret with the newest key."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a secret with whichever configured key encrypted it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ConfigError("A TOTP secret cannot be decrypted with MFA_ENCRYPTION_KEY: was "
                          "a key removed before `flask mfa rotate-key` ran?") from error


def rotate(token: str) -> str:
    """Re-encrypt a secret with the newest key."""
    return _fernet().rotate(token.encode()).decode()
