"""Domain exceptions raised by services; `app.errors` maps each to problem+json.

Services never raise HTTP exceptions: they say what went wrong in the domain's words,
and the status code is chosen in exactly one place.
"""

from __future__ import annotations

# How long a client should wait before retrying after a 503 (database, storage, Redis).
RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """Base class: `status` picks the HTTP answer, `detail` is the sentence for humans."""

    status = 400
    detail = "The request could not be processed."
    # RFC 9457 `type`: "about:blank" unless a client needs to tell this problem apart.
    problem_type = "about:blank"

    def __init__(self, detail: str | None = None, *, errors: dict | None = None,
                 headers: dict | None = None):
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        self.errors = errors
        self.headers = headers or {}


class InvalidField(DomainError):
    """One or more fields failed a rule that only the service can check."""

    status = 422
    detail = "The request has invalid fields."

    def __init__(self, field: str, message: str, *, status: int = 422):
        super().__init__(f"{field}: {message}", errors={field: [message]})
        self.status = status


class Unauthorized(DomainError):
    """Credentials or token missing, wrong, expired or revoked."""

    status = 401
    detail = "Authentication is required."

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class InvalidCredentials(Unauthorized):
    """Unknown email or wrong password: the same answer for both."""

    detail = "The email or password is incorrect."


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""

    status = 403
    detail = "You are not allowed to do this."


class InsufficientScope(Forbidden):
    """A personal access token was sent where its scopes (or its kind) do not reach."""

    detail = "This personal access token does not have the scope this request needs."

    def __init__(self, scope: str | None = None, detail: str | None = None):
        challenge = 'Bearer error="insufficient_scope"'
        if scope is not None:
            challenge += f', scope="{scope}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class AccountInactive(Forbidden):
    """The password was right but the account is deactivated."""

    detail = "This account is deactivated."


class EmailNotVerified(Forbidden):
    """The password was right, but EMAIL_VERIFICATION=required and the address is unproven."""

    problem_type = "urn:signet:problem:email-not-verified"
    detail = ("This account's email address is not verified yet: follow the link we sent, "
              "or ask for a new one.")


class InvalidEmailToken(InvalidField):
    """A mailed token that is unknown, expired, used, of another purpose or no longer valid.

    One sentence for every case: the answer must not tell a guesser which tokens exist.
    """

    def __init__(self):
        super().__init__("token", "This link is invalid or has expired; ask for a new one.")


class NotFound(DomainError):
    """The resource does not exist or the caller may not know it does."""

    status = 404
    detail = "The resource was not found."


class Conflict(DomainError):
    """The request conflicts with the current state of the data."""

    status = 409
    detail = "The request conflicts with existing data."


class EmailTaken(Conflict):
    """Another account already uses this email (compared case-insensitively)."""

    detail = "An account with this email already exists."

    def __init__(self):
        super().__init__(errors={"email": ["An account with this email already exists."]})


class EmailAlreadyVerified(Conflict):
    """A new verification message was asked for an address that is verified already."""

    detail = "This account's email address is already verified."


class LastActiveAdmin(Conflict):
    """The change would leave the service without an active admin."""

    detail = "The last active admin can be neither demoted, deactivated nor deleted."


class QuotaExceeded(DomainError):
    """The upload would take the owner past their storage quota."""

    status = 413
    detail = "This upload would exceed your storage quota."
    problem_type = "tag:signet,2026:problems/quota-exceeded"


class BodyTooLarge(DomainError):
    """A JSON body over MAX_JSON_BYTES, refused before it is parsed."""

    status = 413
    detail = "The JSON body is too large."


class UnsupportedFileType(DomainError):
    """The bytes are of a type the files endpoint does not accept."""

    status = 415
    detail = "This file type is not accepted."


class UnsupportedBodyType(DomainError):
    """A request body in an encoding the endpoint does not read (text/plain, XML...)."""

    status = 415
    detail = "This body type is not accepted."


class ServiceUnavailable(DomainError):
    """The database or the storage cannot answer right now; the client may retry."""

    status = 503
    detail = "The service is temporarily unavailable. Please retry shortly."

    def __init__(self, detail: str | None = None, *,
                 retry_after: int = RETRY_AFTER_SECONDS):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ContentMissing(NotFound):
    """A file's row exists but its bytes are gone (reported by `flask files gc`)."""

    detail = "The content of this file is no longer available."


class StorageUnavailable(ServiceUnavailable):
    """The file storage refused a write or a read."""

    detail = "File storage is temporarily unavailable. Please retry shortly."


class InvalidCode(Unauthorized):
    """A second-factor code that is wrong, expired or already used."""

    detail = "The code is incorrect or has already been used."


class MfaStateConflict(Conflict):
    """The account's multi-factor state does not allow this step (e.g. already on)."""

    detail = "Multi-factor sign-in is not in a state that allows this."


class ProviderUnavailable(ServiceUnavailable):
    """A sign-in provider cannot be reached or did not answer in time."""

    detail = "The sign-in provider cannot be reached right now. Please try again shortly."


class ProviderBroken(DomainError):
    """A sign-in provider answered something unusable (an error, not JSON, too large)."""

    status = 502
    detail = "The sign-in provider answered something this service cannot use."


class InvalidProviderToken(Unauthorized):
    """An ID token whose signature or claims (iss, aud, exp, iat, nonce) do not verify."""

    detail = "The provider's ID token is not valid."


class ProviderSignInFailed(Unauthorized):
    """The provider sign-in did not happen: cancelled, expired, replayed or from elsewhere."""

    detail = "The sign-in with the provider did not complete; start again."


class ProviderEmailUnverified(Forbidden):
    """A new identity whose provider does not vouch for an email: no account can be made."""

    problem_type = "urn:signet:problem:provider-email-unverified"
    detail = ("The provider does not vouch for an email address of yours (none is marked "
              "verified there), so no account can be created from it.")


class AccountExists(Conflict):
    """A first provider sign-in with the email of an existing account (never linked blindly)."""

    problem_type = "urn:signet:problem:account-exists"
    detail = ("An account with this email already exists. Sign in as usual, then link this "
              "provider from your profile.")


class IdentityTaken(Conflict):
    """The provider identity is linked to another account already."""

    problem_type = "urn:signet:problem:identity-taken"
    detail = "This provider identity is already linked to another account."


class LastSignInMethod(Conflict):
    """Unlinking would leave the account no way to sign in."""

    detail = ("This is the last way left to sign in to this account: set a password (through "
              "a reset) or add a passkey or another provider first.")
