"""The stored form of secret tokens (SHA-256), keys derived from a configured secret, and
the Fernet keys that encrypt secrets at rest.

Tokens handed to people (mailed links, personal access tokens, recovery codes, passkey
ceremony handles and credential ids) are 128 bits or more of randomness, so a plain
SHA-256 is enough to store them: nothing to brute-force, and a lookup by hash stays one
indexed equality. Passwords are not tokens: app.users.passwords hashes them with bcrypt.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DERIVED_KEY_BYTES = 32


def token_hash(value: str | bytes) -> str:
    """The stored form of a token: its SHA-256, hex (a str is hashed as UTF-8)."""
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def derive_key(secret: str, *, purpose: bytes) -> bytes:
    """A 32-byte key for one `purpose` only, derived from `secret` with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=DERIVED_KEY_BYTES, salt=None, info=purpose)
    return hkdf.derive(secret.encode())


def fernet_keys(configured: str | None, *, fallback_secret: str, purpose: bytes) -> MultiFernet:
    """Fernet keys from a setting (comma-separated, newest first), else one derived key.

    The first key encrypts and every one decrypts, so a key can be rotated without losing
    what the old one encrypted. Raises ValueError for a value that is not Fernet keys.
    """
    if configured:
        return MultiFernet([Fernet(key.strip()) for key in configured.split(",") if key.strip()])
    derived = derive_key(fallback_secret, purpose=purpose)
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])
