"""Passkeys (WebAuthn): registration and sign-in ceremonies, list and delete.

The relying party id is the host of PUBLIC_BASE_URL and the expected origin is that URL's
scheme, host and port. Each ceremony's challenge lives in `webauthn_ceremonies`, is bound
to its kind (and, for registration, to the user) and is consumed by a conditional UPDATE
before anything is verified: a challenge answers once, whatever the outcome. The
verification itself is py_webauthn's. A passkey signs in on its own: it is both what the
user has and (user verification is required) what they know or are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.audit import record_event
from app.db_types import utcnow
from app.exceptions import AccountInactive, Conflict, InvalidField, NotFound, Unauthorized
from app.extensions import db
from app.hashing import token_hash
from app.mfa.models import Passkey, WebAuthnCeremony
from app.mfa.notices import record_mfa_change
from app.settings import settings
from app.settings.flask_keys import API_TITLE
from app.transactions import transaction
from app.users.models import User
from app.users.reauth import require_recent_sign_in

REGISTER, LOGIN = "register", "login"
MAX_PASSKEYS_PER_USER = 20


def relying_party() -> tuple[str, str]:
    """(RP id, origin) from PUBLIC_BASE_URL."""
    parts = urlsplit(settings().web.public_base_url)
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def user_handle(user: User) -> bytes:
    """The WebAuthn user handle: stable, opaque, and no personal data (RFC: not the email)."""
    key = settings().web.secret_key.encode()
    return hmac.new(key, f"webauthn-user:{user.id}".encode(), hashlib.sha256).digest()


def registration_options(*, user: User, current_password: str | None = None) -> dict:
    """Start registering a passkey for `user`: options for navigator.credentials.create.

    The proof of a recent sign-in is asked here, at the start: the ceremony it opens is
    bound to the user, answers once and dies after WEBAUTHN_CHALLENGE_EXPIRES, so the
    verify step needs nothing more.
    """
    require_recent_sign_in(user, current_password)
    existing = db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all()
    if len(existing) >= MAX_PASSKEYS_PER_USER:
        raise Conflict(f"An account holds at most {MAX_PASSKEYS_PER_USER} passkeys.")
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id, rp_name=API_TITLE, user_name=user.email,
        user_id=user_handle(user), user_display_name=user.name, timeout=_timeout_ms(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id)
                             for p in existing],
    )
    handle = _open_ceremony(REGISTER, options.challenge, user_id=user.id)
    return {"ceremony": handle, "public_key": json.loads(options_to_json(options))}


def register_passkey(*, user: User, ceremony: str, credential: dict, name: str) -> Passkey:
    """Verify the authenticator's attestation and keep its public key."""
    challenge = _consume_ceremony(ceremony, REGISTER, user_id=user.id,
                                  refuse=lambda: InvalidField(
                                      "ceremony", "Unknown, expired or already used; "
                                      "ask for new options."))
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise InvalidField("credential", f"The passkey could not be verified: {error}") from None
    passkey = Passkey(user_id=user.id, credential_id=verified.credential_id,
                      credential_id_hash=token_hash(verified.credential_id),
                      public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name)
    try:
        with transaction():
            db.session.add(passkey)
            db.session.flush()  # the unique credential id decides a second registration
            record_mfa_change("mfa.passkey_added", user=user, details={"passkey": passkey.id})
    except IntegrityError:
        raise Conflict("This passkey is already registered.") from None
    return passkey


def login_options() -> dict:
    """Start a passkey sign-in: options for navigator.credentials.get (any account)."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id, timeout=_timeout_ms(),
        user_verification=UserVerificationRequirement.REQUIRED)
    handle = _open_ceremony(LOGIN, options.challenge, user_id=None)
    return {"ceremony": handle, "public_key": json.loads(options_to_json(options))}


def verify_passkey_sign_in(*, ceremony: str,
                           credential: dict) -> tuple[User, Callable[[], None]]:
    """Verify an assertion of a discoverable credential; answer its active user.

    Also answers the sign-in's own writes (advance the signature counter, record the
    audit line), for the caller to run in the transaction that starts the session.

    Like a password login, each outcome is an audit event: `auth.login` (method passkey),
    or `auth.login_failed` with the reason once the ceremony has been spent on a credential.
    """
    challenge = _consume_ceremony(ceremony, LOGIN, user_id=None, refuse=_refused)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise _failed_sign_in("malformed_credential") from None
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id_hash == token_hash(parsed.raw_id)))
    if passkey is None:
        raise _failed_sign_in("unknown_passkey")
    user = db.session.get(User, passkey.user_id)
    handle = parsed.response.user_handle
    if handle is not None and not hmac.compare_digest(handle, user_handle(user)):
        raise _failed_sign_in("wrong_user_handle", user=user)
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise _failed_sign_in("verification_failed", user=user) from None
    if not user.is_active:
        raise _failed_sign_in("inactive", user=user, error=AccountInactive())

    def count_and_record() -> None:
        if not _advance_sign_count(passkey, verified.new_sign_count):
            raise _failed_sign_in("sign_count", user=user)
        record_event("auth.login", actor_id=user.id, subject_id=user.id,
                     details={"method": "passkey"})

    # The caller (app.auth.login) runs these in the transaction that starts the session.
    return user, count_and_record


def _refused() -> Unauthorized:
    return Unauthorized("The passkey sign-in failed; start again.")


def _failed_sign_in(reason: str, *, user: User | None = None,
                    error: Exception | None = None) -> Exception:
    """Record a refused passkey sign-in, committed on its own; return the error to raise."""
    db.session.rollback()  # nothing of the attempt but its record survives
    record_event("auth.login_failed", actor_id=None, subject_id=user.id if user else None,
                 details={"method": "passkey", "reason": reason})
    # An allowed early commit (tests/test_commit_rule.py): the error raised next rolls the
    # request back, and the failed attempt's audit line must outlive it.
    db.session.commit()
    return error or _refused()


def list_passkeys(*, user: User) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    return list(db.session.scalars(
        select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


def delete_passkey(*, user: User, passkey_id: int, current_password: str | None = None) -> None:
    """Remove one of the user's passkeys, after proof of a recent sign-in."""
    # An unknown id is a 404 before the password is checked: listing your passkeys shows
    # their ids anyway, and no bcrypt is spent on a request that removes nothing.
    if db.session.scalar(select(Passkey.id).where(
            Passkey.id == passkey_id, Passkey.user_id == user.id)) is None:
        raise NotFound("No such passkey.")
    require_recent_sign_in(user, current_password)
    with transaction():
        result = db.session.execute(
            delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
        if result.rowcount != 1:
            raise NotFound("No such passkey.")
        record_mfa_change("mfa.passkey_removed", user=user, details={"passkey": passkey_id})


def _advance_sign_count(passkey: Passkey, new_count: int) -> bool:
    """Store the new counter (caller commits); False when it did not grow."""
    # The counter must grow (a smaller one hints at a cloned authenticator); authenticators
    # that keep no counter report 0 every time. Conditional, so two racing sign-ins with
    # the same assertion cannot both pass.
    counter_ok = Passkey.sign_count == 0 if new_count == 0 else Passkey.sign_count < new_count
    result = db.session.execute(
        update(Passkey).where(Passkey.id == passkey.id, counter_ok)
        .values(sign_count=new_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _open_ceremony(kind: str, challenge: bytes, *, user_id: int | None) -> str:
    """Store a new ceremony for `challenge` and commit; return its handle."""
    now = utcnow()
    handle = secrets.token_urlsafe(32)
    with transaction():
        # Expired ceremonies are dropped as new ones open: the table stays small. A user
        # has one registration open at a time (a new one voids the last), so a signed-in
        # client cannot pile rows up; anonymous sign-in ceremonies are bounded by
        # LOGIN_RATE_LIMIT.
        db.session.execute(delete(WebAuthnCeremony).where(WebAuthnCeremony.expires_at < now))
        if user_id is not None:
            db.session.execute(delete(WebAuthnCeremony).where(
                WebAuthnCeremony.user_id == user_id, WebAuthnCeremony.kind == kind))
        db.session.add(WebAuthnCeremony(
            handle_hash=token_hash(handle), kind=kind, user_id=user_id,
            challenge=challenge, expires_at=now + timedelta(seconds=_timeout_ms() // 1000)))
    return handle


def _consume_ceremony(handle: str, kind: str, *, user_id: int | None, refuse) -> bytes:
    """Mark the ceremony used and commit; return its challenge, or raise `refuse()`."""
    row = db.session.scalar(select(WebAuthnCeremony).where(
        WebAuthnCeremony.handle_hash == token_hash(handle)))
    if row is None or row.kind != kind or row.user_id != user_id:
        raise refuse()
    result = db.session.execute(
        update(WebAuthnCeremony)
        .where(WebAuthnCeremony.id == row.id, WebAuthnCeremony.used_at.is_(None),
               WebAuthnCeremony.expires_at > utcnow())
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise refuse()
    challenge = row.challenge
    # An allowed early commit (tests/test_commit_rule.py): a challenge answers once,
    # whatever the outcome, so it is spent before anything is verified and stays spent
    # when the rest of the ceremony fails and rolls back.
    db.session.commit()
    return challenge


def _timeout_ms() -> int:
    return settings().mfa.webauthn_challenge_expires * 1000
