"""Account recovery: what a mailed link that proves the mailbox takes away.

A password reset ends every session and personal token of the account. When the link
proves the mailbox of an account whose email was not verified yet (a reset or a
verification), everything added to sign in before is removed too: whoever registered the
address first may have been a stranger who planted a passkey, a TOTP secret or a token
and waits for the owner to "recover" the account. Callers run these inside the
transaction of the change (the token used up, the password set) and commit once.
"""

from __future__ import annotations

from sqlalchemy import delete

from app.extensions import db
from app.federation.models import Identity
from app.mfa.models import Passkey, RecoveryCode, TotpSecret, WebAuthnCeremony
from app.sessions import service as sessions
from app.tokens.models import PersonalAccessToken
from app.users.models import User


def end_every_sign_in(user: User) -> dict:
    """End every session and delete every personal token of `user` (caller commits)."""
    ended = sessions.end_every_session(user_id=user.id)
    tokens = db.session.execute(
        delete(PersonalAccessToken).where(PersonalAccessToken.user_id == user.id)).rowcount
    return {"sessions": ended, "personal_tokens": tokens}


def clear_planted_sign_ins(user: User) -> dict:
    """Remove passkeys, TOTP, recovery codes and open ceremonies of `user` (caller commits)."""
    removed = {
        "passkeys": _delete(Passkey, Passkey.user_id == user.id),
        "totp": _delete(TotpSecret, TotpSecret.user_id == user.id),
        "recovery_codes": _delete(RecoveryCode, RecoveryCode.user_id == user.id),
    }
    _delete(WebAuthnCeremony, WebAuthnCeremony.user_id == user.id)
    removed["identities"] = _delete(Identity, Identity.user_id == user.id)
    user.mfa_enabled = False
    return removed


def recover_first_proof(user: User) -> dict:
    """The mailbox of an unverified account is proven: keep nothing added before it.

    Every session and personal token ends, every second factor goes, and the token version
    moves on, so every access token and every other mailed link (an email change a
    stranger asked for included) stops working. Caller commits.
    """
    removed = {**clear_planted_sign_ins(user), **end_every_sign_in(user)}
    user.token_version = User.token_version + 1  # an SQL increment, as a password change
    return removed


def _delete(model, condition) -> int:
    return db.session.execute(delete(model).where(condition)).rowcount
