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

from app.hashing import fernet_keys
from app.settings import ConfigError, settings

HKDF_INFO = b"signet mfa totp secret encryption"


def _fernet() -> MultiFernet:
    built = settings()  # the keys were checked to be Fernet keys at start-up
    return fernet_keys(",".join(built.mfa.encryption_keys), fallback_secret=built.web.secret_key,
                       purpose=HKDF_INFO)


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
