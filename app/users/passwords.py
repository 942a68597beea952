"""Password hashing and policy; unknown emails cost the same bcrypt work as wrong passwords.

Besides their length (PASSWORD_LENGTH, checked by the schemas), new passwords are
refused when among the 10,000 most common ones (data/common-passwords.txt, compared
case-insensitively), blank once white space and invisible characters are taken out, or
equal to or containing the email's local part when that is 4 characters or longer.
Registration, password change, reset and invitation all call `check_password_policy`.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import bcrypt as bcrypt_library
from flask import current_app
from marshmallow import validate

from app.exceptions import InvalidField, Unauthorized
from app.extensions import bcrypt
from app.settings import settings
from app.text import visible_part
from app.users.models import User

DUMMY_HASH_KEY = "signet.dummy_password_hash"
# Every character counts: hashing pre-hashes, so bcrypt's 72-byte cut never applies.
PASSWORD_LENGTH = validate.Length(min=8, max=128)


def hash_password(password: str) -> str:
    """Return the bcrypt hash of `password` (pre-hashed, so all characters count)."""
    return bcrypt.generate_password_hash(password).decode()


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash` (never for an account without one)."""
    if not password_hash:  # signs in with a provider only: the same bcrypt work, refused
        burn_password_check(password)
        return False
    return bcrypt.check_password_hash(password_hash, password)


def check_current_password(user: User, password: str) -> None:
    """Raise a 401 unless `password` is the user's current one (proof before a change).

    The one check every "confirm with your current password" goes through: bcrypt's
    comparison (constant time, every character counts), and the same 401 everywhere,
    which the routes' per-account limit on wrong current passwords counts.
    """
    if not verify_password(user.password_hash, password):
        raise Unauthorized("The current password is incorrect.")


def burn_password_check(password: str) -> None:
    """Spend one bcrypt check on a dummy hash, so an unknown email is not faster."""
    dummy = current_app.extensions.get(DUMMY_HASH_KEY)
    if dummy is None:
        # A salt at the configured cost, padded to a hash's length: checking against it
        # costs one full bcrypt run, building it costs none. Hashing a dummy password
        # here would make the first unknown email of each worker twice as slow.
        salt = bcrypt_library.gensalt(rounds=settings().accounts.bcrypt_log_rounds)
        dummy = current_app.extensions[DUMMY_HASH_KEY] = salt.decode() + "." * 31
    verify_password(dummy, password)


COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt"
MIN_LOCAL_PART = 4


@cache
def common_passwords() -> frozenset[str]:
    """The list, loaded once per process (10,000 short strings, about 1 MB)."""
    return frozenset(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split())


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def password_problem(password: str, *, email: str) -> str | None:
    """Why `password` is refused for the account `email` (a sentence), or None."""
    if not visible_part(password):
        return "Must contain visible characters, not only spaces or invisible ones."
    folded = _folded(password)
    if folded in common_passwords() or visible_part(folded) in common_passwords():
        return "This password is among the most common ones; choose another."
    local_part = _folded(email.rsplit("@", 1)[0].strip('"'))
    if len(local_part) >= MIN_LOCAL_PART and local_part in folded:
        return "Must not contain the part of your email address before the @."
    return None


def check_password_policy(password: str, *, email: str, field: str = "password") -> None:
    """Raise a 422 on `field` when `password` is refused for the account `email`."""
    problem = password_problem(password, email=email)
    if problem is not None:
        raise InvalidField(field, problem)
