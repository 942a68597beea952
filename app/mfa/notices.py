"""What every change of a user's second factors leaves behind: an audit event and a mail.

Both join the caller's transaction, so a change that rolls back records and sends nothing.
"""

from __future__ import annotations

from app.audit import record_event
from app.mfa.codes import unused_recovery_codes
from app.users.models import User
from app.users.notices import notify_recovery_code_sign_in, notify_security_change

RECOVERY_SIGN_IN = "mfa.recovery_code_used"
# What the notice tells the account holder, by audit action.
CHANGES = {
    "mfa.totp_enabled": "two-factor sign-in with an authenticator app was turned on",
    "mfa.totp_disabled": "two-factor sign-in with an authenticator app was turned off",
    "mfa.recovery_codes_regenerated": "new recovery codes were made; the old ones no longer work",
    "mfa.recovery_code_used": "a recovery code was used to sign in",
    "mfa.passkey_added": "a passkey was added",
    "mfa.passkey_removed": "a passkey was removed",
    "admin.mfa_reset": "an administrator removed your second factors",
}


def record_mfa_change(action: str, *, user: User, actor_id: int | None = None,
                      details: dict | None = None) -> None:
    """Record `action` about `user` and mail them a notice (the caller commits)."""
    record_event(action, actor_id=user.id if actor_id is None else actor_id,
                 subject_id=user.id, details=details)
    if action == RECOVERY_SIGN_IN:  # a sign-in, not a settings change: a mail of its own
        notify_recovery_code_sign_in(user, remaining=unused_recovery_codes(user_id=user.id))
    else:
        notify_security_change(user, change=CHANGES[action])
