"""The two-step login: a right password, then (with MFA on) a second factor."""

from __future__ import annotations

from app.audit import record_event
from app.auth.mfa.codes import consume_second_factor
from app.auth.mfa.notices import record_mfa_change
from app.auth.mfa.tokens import issue_mfa_token, mfa_token_user, read_mfa_token, spend_mfa_token
from app.auth.service import authenticate
from app.auth.tokens import issue_token_pair
from app.transactions import retried, transaction

MFA_METHODS = ["totp", "recovery_code"]


@retried
def sign_in(*, email: str, password: str) -> dict:
    """Check the password; answer the token pair, or an mfa_token when MFA is on."""
    user = authenticate(email=email, password=password)
    if user.mfa_enabled:
        return {"mfa_required": True, "mfa_token": issue_mfa_token(user),
                "methods": MFA_METHODS}
    # One commit with the session row (issue_token_pair): a retry re-runs both or neither.
    record_event("auth.login", actor_id=user.id, subject_id=user.id)
    return issue_token_pair(user)


def complete_mfa_sign_in(*, mfa_token: str, code: str) -> dict:
    """Exchange an mfa_token and a TOTP or recovery code for the token pair."""
    claims = read_mfa_token(mfa_token)
    user = mfa_token_user(claims)
    with transaction():
        method = consume_second_factor(user_id=user.id, code=code)
        spend_mfa_token(claims)
        record_event("auth.login", actor_id=user.id, subject_id=user.id,
                     details={"method": method})
        if method == "recovery_code":
            record_mfa_change("mfa.recovery_code_used", user=user)
    return issue_token_pair(user)
