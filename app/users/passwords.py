"""Password hashing; unknown emails cost the same bcrypt work as wrong passwords."""

from __future__ import annotations

import bcrypt as bcrypt_library
from flask import current_app
from marshmallow import validate

from app.extensions import bcrypt

DUMMY_HASH_KEY = "signet.dummy_password_hash"
# Every character counts: hashing pre-hashes, so bcrypt's 72-byte cut never applies.
PASSWORD_LENGTH = validate.Length(min=8, max=128)


def hash_password(password: str) -> str:
    """Return the bcrypt hash of `password` (pre-hashed, so all characters count)."""
    return bcrypt.generate_password_hash(password).decode()


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`."""
    return bcrypt.check_password_hash(password_hash, password)


def burn_password_check(password: str) -> None:
    """Spend one bcrypt check on a dummy hash, so an unknown email is not faster."""
    dummy = current_app.extensions.get(DUMMY_HASH_KEY)
    if dummy is None:
        # A salt at the configured cost, padded to a hash's length: checking against it
        # costs one full bcrypt run, building it costs none. Hashing a dummy password
        # here would make the first unknown email of each worker twice as slow.
        salt = bcrypt_library.gensalt(rounds=current_app.config["BCRYPT_LOG_ROUNDS"])
        dummy = current_app.extensions[DUMMY_HASH_KEY] = salt.decode() + "." * 31
    verify_password(dummy, password)
