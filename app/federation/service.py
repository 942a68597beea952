"""Provider sign-in and linking, by the contract's rules.

An identity is the provider's (issuer, sub), never the email. A first sign-in with an
unknown identity creates an account only when the provider vouches for the email and no
account has it; an account that has it gets 409 account-exists, unless the provider is
configured with TRUST_EMAIL and both the provider and Signet call the address verified.
A provider sign-in is the first factor (`amr` fed): with TOTP on, the code is still asked.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit import record_event
from app.auth.devices import remember_device
from app.auth.login import MFA_METHODS
from app.auth.tokens import issue_token_pair
from app.db_types import utcnow
from app.exceptions import (
    AccountExists,
    AccountInactive,
    EmailNotVerified,
    Forbidden,
    IdentityTaken,
    InvalidField,
    LastSignInMethod,
    NotFound,
    ProviderEmailUnverified,
)
from app.extensions import db
from app.federation.client import ProviderUser, verify_id_token
from app.federation.models import Identity
from app.federation.settings import Provider
from app.mfa.models import Passkey
from app.mfa.tokens import issue_mfa_token
from app.settings import settings
from app.text import text_problem
from app.transactions import retried, transaction
from app.users.models import User
from app.users.reauth import has_password, require_recent_sign_in
from app.users.service import normalize_email

MAX_NAME = 255


def find_identity(person: ProviderUser) -> Identity | None:
    """The identity (issuer, sub) names, if linked to an account."""
    return db.session.scalar(select(Identity).where(Identity.issuer == person.issuer,
                                                    Identity.sub == person.sub))


@retried
def sign_in_with_provider(*, provider: Provider, person: ProviderUser) -> dict:
    """Sign in whoever the provider vouched for: the token pair, or the MFA step."""
    identity = find_identity(person)
    if identity is not None:
        user = db.session.get(User, identity.user_id)
    else:
        user = _account_for_new_identity(provider, person)
    if not user.is_active:
        raise AccountInactive()
    if settings().accounts.email_verification == "required" and not user.email_verified:
        raise EmailNotVerified()

    def record_sign_in() -> None:
        linked = identity or _link(user, provider, person)
        linked.last_used_at = utcnow()
        if person.email:
            linked.email = person.email[:255]

    if user.mfa_enabled:
        with transaction():
            record_sign_in()
        return {"mfa_required": True, "methods": MFA_METHODS,
                "mfa_token": issue_mfa_token(user, first_factor="fed", provider=provider.id)}

    def before_commit() -> None:
        record_sign_in()
        record_event("auth.login", actor_id=user.id, subject_id=user.id,
                     details={"method": "provider", "provider": provider.id})

    tokens = issue_token_pair(user, auth_methods=("fed",), before_commit=before_commit)
    remember_device(user)
    return tokens


def _account_for_new_identity(provider: Provider, person: ProviderUser) -> User:
    email = normalize_email(person.email or "")
    if not email or not person.email_verified or text_problem(email) or len(email) > 255:
        raise ProviderEmailUnverified()
    owner = db.session.scalar(select(User).where(User.email == email))
    if owner is not None:
        if provider.trust_email and owner.email_verified:
            return owner  # linked by record_sign_in, in the sign-in's transaction
        raise AccountExists()
    if not settings().accounts.allow_self_registration:
        raise Forbidden("Self-registration is disabled; ask an administrator for an account.")
    user = User(name=_name_for(person, email), email=email, password_hash="",
                email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    user.created_by = user.updated_by = user.id
    record_event("auth.registered", actor_id=user.id, subject_id=user.id,
                 details={"method": "provider", "provider": provider.id})
    return user


def _name_for(person: ProviderUser, email: str) -> str:
    # The provider's name when it is one we would accept from a form; else the mailbox.
    name = (person.name or "").strip()[:MAX_NAME]
    return name if name and text_problem(name) is None else email.split("@", 1)[0][:MAX_NAME]


def _link(user: User, provider: Provider, person: ProviderUser) -> Identity:
    identity = Identity(user_id=user.id, provider=provider.id, issuer=person.issuer,
                        sub=person.sub, email=(person.email or None))
    db.session.add(identity)
    db.session.flush()
    record_event("identity.linked", actor_id=user.id, subject_id=user.id,
                 details={"provider": provider.id, "identity": identity.id})
    return identity


def sign_in_with_id_token(*, provider: Provider, id_token: str,
                          nonce: str | None = None) -> dict:
    """An app's own provider sign-in: verify its ID token, answer like /auth/login."""
    if provider.is_github:
        raise InvalidField("id_token", "GitHub issues no ID tokens: use the browser flow.")
    person = verify_id_token(provider, id_token, nonce=nonce)
    return sign_in_with_provider(provider=provider, person=person)


@retried
def link_identity(*, user: User, provider: Provider, person: ProviderUser) -> Identity:
    """Join the identity to `user` (the link flow's callback); 409 if another has it."""
    identity = find_identity(person)
    if identity is not None:
        if identity.user_id != user.id:
            raise IdentityTaken()
        return identity
    with transaction():
        identity = _link(user, provider, person)
        identity.last_used_at = utcnow()
    return identity


def list_identities(*, user: User) -> list[Identity]:
    """The identities linked to `user`, oldest first."""
    return list(db.session.scalars(select(Identity).where(Identity.user_id == user.id)
                                   .order_by(Identity.id)))


@retried
def unlink_identity(*, user: User, identity_id: int,
                    current_password: str | None = None) -> None:
    """Remove one of `user`'s identities, unless it is the last way left to sign in."""
    found = db.session.get(Identity, identity_id)
    if found is None or found.user_id != user.id:  # before the password is asked for
        raise NotFound("No such identity of yours.")
    require_recent_sign_in(user, current_password)
    with transaction():
        identity = db.session.scalar(select(Identity).where(
            Identity.id == identity_id, Identity.user_id == user.id).with_for_update())
        if identity is None:
            raise NotFound("No such identity of yours.")
        if not _other_way_to_sign_in(user, identity_id):
            raise LastSignInMethod()
        db.session.delete(identity)
        record_event("identity.unlinked", actor_id=user.id, subject_id=user.id,
                     details={"provider": identity.provider, "identity": identity_id})


def _other_way_to_sign_in(user: User, identity_id: int) -> bool:
    if has_password(user):
        return True
    passkeys = db.session.scalar(select(func.count()).select_from(Passkey)
                                 .where(Passkey.user_id == user.id))
    others = db.session.scalar(select(func.count()).select_from(Identity).where(
        Identity.user_id == user.id, Identity.id != identity_id))
    return bool(passkeys or others)
