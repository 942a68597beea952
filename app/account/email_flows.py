"""Email verification, password reset, change of email and invitations.

Every message is enqueued in the same transaction as the change that causes it (the
outbox of app.mail): a rolled-back change sends nothing, a committed one is never without
its message. Links are built from PUBLIC_BASE_URL, never from the request's Host header,
and point at the browser pages of app.web, which post the token (a GET never consumes it).
"""

from __future__ import annotations

import secrets
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.account.email_tokens import consume_token, issue_token, live_token
from app.account.models import TokenPurpose
from app.account.recovery import end_every_sign_in, recover_first_proof
from app.after_response import after_response
from app.audit import record_event
from app.db_types import utcnow
from app.exceptions import (
    EmailAlreadyVerified,
    EmailTaken,
    InvalidField,
)
from app.extensions import db
from app.mail import public_url
from app.mail.compose import render_message
from app.settings import settings
from app.transactions import retried, transaction
from app.users.models import Role, User
from app.users.notices import notice_context, send_notice
from app.users.passwords import (
    check_password_policy,
    hash_password,
)
from app.users.reauth import require_recent_sign_in
from app.users.service import create_user, email_taken, normalize_email

RESET_PURPOSES = (TokenPurpose.PASSWORD_RESET, TokenPurpose.INVITATION)


def verification_enabled() -> bool:
    """False when EMAIL_VERIFICATION=off: no verification message is sent at registration."""
    return settings().accounts.email_verification != "off"


def send_verification(user: User) -> None:
    """Enqueue a verification message for `user` (the caller commits)."""
    token = issue_token(user=user, purpose=TokenPurpose.VERIFY_EMAIL)
    send_notice(user.email, "verify_email", user=user,
                link=_link("web.VerifyEmailPage", token),
                expires_hours=_hours(settings().accounts.email_token_expires))


@retried
def verify_email(*, token: str) -> User:
    """Mark the address the token was sent to as verified; return the user."""
    row = live_token(token=token, purposes=[TokenPurpose.VERIFY_EMAIL])
    user = row.user
    with transaction():
        consume_token(row)
        if user.email_verified_at is None:
            # The first proof of the mailbox: whatever was added before may be a stranger's.
            removed = recover_first_proof(user)
            if any(removed.values()):
                record_event("auth.recovery_cleared", actor_id=user.id, subject_id=user.id,
                             details={"via": "verify_email", **removed})
            user.email_verified_at = utcnow()
        record_event("auth.email_verified", actor_id=user.id, subject_id=user.id)
    return user


def resend_verification(*, user: User) -> None:
    """Send a new verification message to a signed-in user whose address is unverified."""
    if user.email_verified:
        raise EmailAlreadyVerified()
    with transaction():
        send_verification(user)


def request_password_reset(*, email: str) -> None:
    """Mail a reset link if an active account uses `email`, after the answer has gone out.

    The caller answers 202 at once, before the account is even looked up: the time of the
    answer cannot tell whether the address has an account. The work that follows is also
    alike for both (a token drawn, the message rendered); only a known address gets the
    token row and the message, committed together.
    """
    after_response(partial(_send_reset_link, normalize_email(email)))


def _send_reset_link(email: str) -> None:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        _render_only("password_reset", user=None, link=_link(
            "web.ResetPasswordPage", secrets.token_urlsafe(32)), expires_minutes=_minutes())
        return
    with transaction():
        token = issue_token(user=user, purpose=TokenPurpose.PASSWORD_RESET)
        send_notice(user.email, "password_reset", user=user,
                    link=_link("web.ResetPasswordPage", token), expires_minutes=_minutes())


@retried
def reset_password(*, token: str, new_password: str) -> None:
    """Set a new password with a reset or invitation token; every sign-in ends."""
    row = live_token(token=token, purposes=RESET_PURPOSES)
    user, invitation = row.user, row.purpose == TokenPurpose.INVITATION
    check_password_policy(new_password, email=user.email, field="new_password")
    password_hash = hash_password(new_password)  # before the UPDATE: keep the lock short
    with transaction():
        consume_token(row)
        if not invitation:
            # Sent while the address still counts as unverified (if it does): no greeting
            # by a name a stranger may have chosen.
            send_notice(user.email, "notice_password_reset", user=user,
                        link=_link("web.ForgotPasswordPage"))
        # Every reset ends every session and personal token; the first proof of the
        # mailbox also removes every second factor added before (app.account.recovery).
        first_proof = user.email_verified_at is None
        ended = recover_first_proof(user) if first_proof else end_every_sign_in(user)
        user.password_hash = password_hash
        if not first_proof:
            # An SQL increment: every JWT and every other mailed token of the old password
            # dies (recover_first_proof has moved it on already).
            user.token_version = User.token_version + 1
        # The token came by mail to this address: its owner reads it.
        user.email_verified_at = user.email_verified_at or utcnow()
        user.updated_by = user.id
        record_event("auth.password_reset", actor_id=user.id, subject_id=user.id,
                     details={"first_proof_of_mailbox": first_proof, **ended})


def request_email_change(*, user: User, new_email: str,
                         current_password: str | None = None) -> None:
    """Mail a confirmation link to `new_email` and a notice to the current address."""
    require_recent_sign_in(user, current_password)
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise InvalidField("new_email", "This is already your account's address.")
    if email_taken(new_email):
        raise EmailTaken()
    with transaction():
        token = issue_token(user=user, purpose=TokenPurpose.EMAIL_CHANGE, email=new_email)
        send_notice(new_email, "email_change_confirm", user=user, new_email=new_email,
                    link=_link("web.ConfirmEmailPage", token),
                    expires_hours=_hours(settings().accounts.email_token_expires))
        send_notice(user.email, "notice_email_changed", user=user, new_email=new_email,
                    pending=True, link=_link("web.ForgotPasswordPage"))


def confirm_email_change(*, token: str) -> User:
    """Move the account to the address the token was sent to; notify the old address."""
    row = live_token(token=token, purposes=[TokenPurpose.EMAIL_CHANGE])
    user, new_email, old_email = row.user, row.email, row.user.email
    if email_taken(new_email):
        raise EmailTaken()
    try:
        with transaction():
            consume_token(row)
            user.email = new_email
            user.email_verified_at = utcnow()
            user.updated_by = user.id
            send_notice(old_email, "notice_email_changed", user=user, new_email=new_email,
                        pending=False)
            record_event("auth.email_changed", actor_id=user.id, subject_id=user.id)
    except IntegrityError:
        # Another account took the address between the check and the commit.
        if email_taken(new_email):
            raise EmailTaken() from None
        raise
    return user


def invite_user(*, admin: User, name: str, email: str, role: Role | None = None) -> User:
    """Create an account with no usable password and mail its holder a link to set one."""
    def send_invitation(user: User) -> None:
        token = issue_token(user=user, purpose=TokenPurpose.INVITATION)
        send_notice(user.email, "invitation", user=user, inviter=admin.name,
                    link=_link("web.WelcomePage", token),
                    expires_days=max(1, settings().accounts.invitation_expires // 86400))
        record_event("admin.user_invited", actor_id=admin.id, subject_id=user.id)

    # A password nobody knows (256 random bits, hashed like any other): the account can
    # sign in only once the invitation's link has set a real one.
    return create_user(name=name, email=email, password=secrets.token_urlsafe(32),
                       role=role or Role.USER, created_by=admin, before_commit=send_invitation)


def _render_only(template: str, **context) -> None:
    render_message(template, notice_context(context, to=None))


def _link(endpoint: str, token: str | None = None) -> str:
    return public_url(endpoint, token=token) if token else public_url(endpoint)


def _minutes() -> int:
    return max(1, settings().accounts.password_reset_expires // 60)


def _hours(seconds: int) -> int:
    return max(1, seconds // 3600)
