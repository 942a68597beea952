"""Checking second-factor codes: TOTP (RFC 6238) and recovery codes, each usable once.

Both are consumed with a conditional UPDATE whose row count decides: of two requests
racing with the same code, on any number of workers, the database lets exactly one win.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
from sqlalchemy import delete, func, select, update

from app.db_types import utcnow
from app.exceptions import InvalidCode
from app.extensions import db
from app.hashing import token_hash
from app.mfa import crypto
from app.mfa.models import RecoveryCode, TotpSecret

TOTP_DIGITS = 6
TOTP_PERIOD_SECONDS = 30
# A code of the previous or next step is accepted too: clocks drift and people type slowly.
TOTP_WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10
# 16 characters of a 32-letter alphabet: 80 random bits, so a plain SHA-256 is enough.
# No l, o, 0 or 1, which read alike.
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 16


def new_totp_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(length=32)


def looks_like_totp(code: str) -> bool:
    """Six ASCII digits: the only shape a TOTP code has."""
    # str.isdigit() is true for Arabic-Indic and full-width digits too, and compare_digest
    # raises TypeError on non-ASCII text: such a code is simply a wrong one.
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


def totp_step_of(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step within the window whose code `code` is, or None."""
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
    current = int(now if now is not None else time.time()) // TOTP_PERIOD_SECONDS
    matched = None
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):
        # Every candidate is compared, in constant time, so timing says nothing.
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def consume_totp(*, user_id: int, code: str, confirming: bool = False) -> None:
    """Accept a TOTP code once: raise InvalidCode when wrong or its step was used. No commit."""
    record = db.session.get(TotpSecret, user_id)
    if record is None or (record.confirmed_at is None) != confirming:
        raise InvalidCode()
    step = totp_step_of(crypto.decrypt(record.secret), code)
    if step is None:
        raise InvalidCode()
    values = {"last_step": step}
    if confirming:
        values["confirmed_at"] = utcnow()
    result = db.session.execute(
        update(TotpSecret)
        .where(TotpSecret.user_id == user_id, TotpSecret.last_step < step)
        .values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidCode()


def normalize_recovery_code(code: str) -> str:
    """Lower-case, without the dashes and spaces people type or paste."""
    return "".join(char for char in code.lower() if char not in "- ")


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code (hex)."""
    return token_hash(normalize_recovery_code(code))


def consume_recovery_code(*, user_id: int, code: str) -> None:
    """Mark an unused recovery code used; raise InvalidCode otherwise. No commit."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id,
               RecoveryCode.code_hash == hash_recovery_code(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidCode()


def consume_second_factor(*, user_id: int, code: str) -> str:
    """Accept a TOTP code or a recovery code once; return which ("totp"/"recovery_code")."""
    if looks_like_totp(code):
        consume_totp(user_id=user_id, code=code)
        return "totp"
    consume_recovery_code(user_id=user_id, code=code)
    return "recovery_code"


def unused_recovery_codes(*, user_id: int) -> int:
    """How many of the user's recovery codes still work."""
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


def replace_recovery_codes(*, user_id: int) -> list[str]:
    """Delete the user's recovery codes and add 10 new ones; return them. No commit."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=hash_recovery_code(code))
                       for code in codes)
    return codes


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))
