"""Registration: by anyone when self-registration is on, or by an admin."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.account.email_flows import send_verification, verification_enabled
from app.audit import record_event
from app.audit.service import recorded_since
from app.db_types import utcnow
from app.exceptions import (
    EmailTaken,
    Forbidden,
)
from app.extensions import db
from app.settings import settings
from app.transactions import retried, transaction
from app.users.models import Role, User
from app.users.notices import notify_registration_attempt
from app.users.passwords import check_password_policy, hash_password
from app.users.profile import read_profile_image
from app.users.service import create_user, email_taken, normalize_email

DUPLICATE_REGISTRATION = "auth.registration_duplicate"
# At most one "someone tried to register your address" notice per account and hour.
DUPLICATE_NOTICE_INTERVAL = timedelta(hours=1)


@retried
def register_user(*, name: str, email: str, password: str, role: Role | None = None,
                  profile_image: FileStorage | None = None,
                  caller: User | None) -> User | None:
    """Register an account: by anyone when self-registration is on, or by an admin.

    None instead of the user when the answer must not tell whether the address already
    had an account (an anonymous caller, REGISTRATION_REVEALS_ACCOUNTS false).
    """
    if caller is not None:
        if not caller.is_admin:
            raise Forbidden("Signed-in users cannot register accounts; only admins can.")
    else:
        if not settings().accounts.allow_self_registration:
            raise Forbidden("Self-registration is disabled; ask an administrator.")
        if role not in (None, Role.USER):
            raise Forbidden("Only an administrator can choose a role.")
    create = dict(
        name=name, email=email, password=password, role=role or Role.USER,
        profile_image=profile_image, created_by=caller, self_registered=caller is None,
        before_commit=send_verification if verification_enabled() else None,
    )
    if caller is not None or settings().accounts.registration_reveals_accounts:
        return create_user(**create)
    email = normalize_email(email)
    check_password_policy(password, email=email)  # a 422 either way, before anything else
    if not email_taken(email):
        try:
            create_user(**create)
            return None
        except EmailTaken:  # another request took the address meanwhile
            pass
    _answer_taken_address_quietly(email=email, password=password,
                                  profile_image=profile_image)
    return None


def _answer_taken_address_quietly(*, email: str, password: str,
                                  profile_image: FileStorage | None) -> None:
    # The same checks and about the same work as a new account (a refused image is the
    # same 422, the password is hashed), nothing stored; the owner hears of it instead
    # (OWASP's advice), at most once an hour, and the attempt is audited.
    if profile_image is not None:
        read_profile_image(profile_image)
    hash_password(password)
    owner = db.session.scalar(select(User).where(User.email == email))
    if owner is None:  # deleted meanwhile: nothing to tell anyone
        return
    with transaction():
        since = utcnow() - DUPLICATE_NOTICE_INTERVAL
        if not recorded_since(action=DUPLICATE_REGISTRATION, subject_id=owner.id,
                              since=since):
            notify_registration_attempt(owner)
        record_event(DUPLICATE_REGISTRATION, actor_id=None, subject_id=owner.id)
