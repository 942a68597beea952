"""Turning TOTP on and off, and replacing recovery codes, for the signed-in user.

Every change is committed here with its audit line; a wrong password or code is a 401
that the route's per-account limit counts.
"""

from __future__ import annotations

import pyotp
import segno
from sqlalchemy import delete, select

from app.exceptions import MfaStateConflict, NotFound
from app.extensions import db
from app.mfa import crypto
from app.mfa.codes import (
    TOTP_DIGITS,
    TOTP_PERIOD_SECONDS,
    consume_second_factor,
    consume_totp,
    new_totp_secret,
    replace_recovery_codes,
)
from app.mfa.models import Passkey, RecoveryCode, TotpSecret
from app.mfa.notices import record_mfa_change
from app.settings.flask_keys import API_TITLE
from app.transactions import transaction
from app.users.models import User
from app.users.passwords import check_current_password
from app.users.reauth import require_recent_sign_in


def start_totp_setup(*, user: User, current_password: str | None = None) -> dict:
    """Make a new secret (pending until confirmed) and return it with its QR code."""
    require_recent_sign_in(user, current_password)
    if user.mfa_enabled:
        raise MfaStateConflict("Two-factor sign-in is already on; turn it off first.")
    secret = new_totp_secret()
    with transaction():
        record = db.session.get(TotpSecret, user.id)
        if record is None:
            record = TotpSecret(user_id=user.id)
            db.session.add(record)
        # A new set-up replaces an unconfirmed one; its last step starts again from zero.
        record.secret, record.confirmed_at, record.last_step = crypto.encrypt(secret), None, 0
    uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS).provisioning_uri(
        name=user.email, issuer_name=API_TITLE)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title="TOTP set-up QR code")
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": qr_svg}


def confirm_totp(*, user: User, code: str) -> dict:
    """Turn MFA on with a first code from the app; return the 10 recovery codes."""
    if user.mfa_enabled:
        raise MfaStateConflict("Two-factor sign-in is already on.")
    record = db.session.get(TotpSecret, user.id)
    if record is None:
        raise MfaStateConflict("Start the set-up first (POST /api/v1/auth/mfa/totp).")
    with transaction():
        consume_totp(user_id=user.id, code=code, confirming=True)
        codes = replace_recovery_codes(user_id=user.id)
        user.mfa_enabled = True
        record_mfa_change("mfa.totp_enabled", user=user)
    return {"recovery_codes": codes}


def disable_totp(*, user: User, current_password: str, code: str) -> None:
    """Turn MFA off (password and a current code, or a recovery code, prove it is you)."""
    _check_enabled(user, current_password)
    with transaction():
        consume_second_factor(user_id=user.id, code=code)
        _remove_factors(user)
        record_mfa_change("mfa.totp_disabled", user=user)


def regenerate_recovery_codes(*, user: User, current_password: str, code: str) -> dict:
    """Replace every recovery code with 10 new ones; the old ones stop working."""
    _check_enabled(user, current_password)
    with transaction():
        consume_second_factor(user_id=user.id, code=code)
        codes = replace_recovery_codes(user_id=user.id)
        record_mfa_change("mfa.recovery_codes_regenerated", user=user)
    return {"recovery_codes": codes}


def reset_mfa(*, admin: User, user_id: int) -> None:
    """Admin: remove a user's TOTP, recovery codes and passkeys; the password signs in."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    with transaction():
        _remove_factors(user)
        db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
        user.updated_by = admin.id
        record_mfa_change("admin.mfa_reset", user=user, actor_id=admin.id)


def reencrypt_totp_secrets() -> int:
    """Re-encrypt every stored secret with the newest key (rotation); return how many."""
    with transaction():
        records = db.session.scalars(select(TotpSecret)).all()
        for record in records:
            record.secret = crypto.rotate(record.secret)
    return len(records)


def _check_enabled(user: User, current_password: str) -> None:
    check_current_password(user, current_password)
    if not user.mfa_enabled:
        raise MfaStateConflict("Two-factor sign-in is not on.")


def _remove_factors(user: User) -> None:
    db.session.execute(delete(TotpSecret).where(TotpSecret.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.mfa_enabled = False
