"""Security notices mailed to an account holder (the caller commits)."""

from __future__ import annotations

from app.mail import enqueue_message, public_url
from app.users.models import User


def notify_password_changed(user: User) -> None:
    """Enqueue the notice of a password change (the caller commits)."""
    send_notice(user.email, "notice_password_changed", user=user,
                link=_link("web.ForgotPasswordPage"))


def notify_registration_attempt(user: User) -> None:
    """Tell an account's owner that someone tried to register its address (caller commits)."""
    send_notice(user.email, "notice_registration_attempt", user=user,
                sign_in=_link("web.LoginPage"), link=_link("web.ForgotPasswordPage"))


def notify_security_change(user: User, *, change: str) -> None:
    """Enqueue a notice that the account's sign-in settings changed (the caller commits)."""
    send_notice(user.email, "notice_security_changed", user=user, change=change,
                link=_link("web.ForgotPasswordPage"))


def notify_recovery_code_sign_in(user: User, *, remaining: int) -> None:
    """Tell the account holder a recovery code signed in, and how many are left."""
    send_notice(user.email, "notice_recovery_code_sign_in", user=user, remaining=remaining,
                link=_link("web.ForgotPasswordPage"))


def send_notice(to: str, template: str, **context) -> None:
    """Enqueue the mail `template` to `to`; a `user` in the context may give its name."""
    enqueue_message(to=to, template=template, context=notice_context(context, to=to))


def notice_context(context: dict, *, to: str | None) -> dict:
    """The template context: `user` replaced by the name to greet ("" for none)."""
    user = context.pop("user", None)
    # A name is whatever the registrant typed ("Your bank: call +1-555-0100 now"): only
    # an owner who has confirmed the address is greeted by it. Mail to an unconfirmed or
    # new address says "Hello," and nothing the requester chose.
    greet = user is not None and user.email_verified and to == user.email
    return {"name": user.name if greet else "", **context}


def _link(endpoint: str) -> str:
    return public_url(endpoint)
