"""Auth request and response schemas."""

import enum

from marshmallow import Schema, fields, validate

from app.schemas import EMAIL_RULES, NAME_RULES, FileField, TrimmedString, visible_text
from app.scopes import Scope
from app.users.models import Role
from app.users.passwords import PASSWORD_LENGTH
from app.users.schemas import UserCreateForm

# The roles in the order a form lists them: Swagger UI 5 preselects the first choice of a
# form's select, and an anonymous caller may send "user" but not "admin".
RoleChoice = enum.Enum("RoleChoice", [(Role.USER.name, Role.USER.value),
                                      (Role.ADMIN.name, Role.ADMIN.value)])


class OptionalRole(fields.Enum):
    """A role choice where a form's empty option (as Swagger UI sends it) means "none"."""

    def __init__(self, **kwargs):
        super().__init__(RoleChoice, by_value=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return Role(super()._deserialize(value, attr, data, **kwargs).value)


class RegisterForm(UserCreateForm):
    """Registration fields (multipart, urlencoded or JSON): a new account's, plus these."""
    # The callable default keeps `default: null` out of the OpenAPI document, which Swagger
    # UI would otherwise send as the string "null".
    role = OptionalRole(allow_none=True, load_default=lambda: None,
                        metadata={"description": "Admin callers only."})
    profile_image = FileField(load_default=None, metadata={
        "description": "JPEG, PNG, GIF or WebP; metadata is removed."})


class ProfileUpdateForm(Schema):
    """PATCH /auth/me: the fields a user may change on their own account."""

    # Left out means "keep"; an explicit null is an error, not a way to erase the name.
    name = TrimmedString(validate=NAME_RULES, load_default=None, allow_none=False)
    profile_image = FileField(load_default=None, metadata={
        "description": "Replaces the current image; JPEG, PNG, GIF or WebP."})


class LoginForm(Schema):
    """Login credentials."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=1024))


class PasswordChangeForm(Schema):
    """The current password (proof) and the new one (same rules as registration)."""

    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD_LENGTH)


class AccountDeleteForm(Schema):
    """The current password, as proof that the account holder deletes the account."""

    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=1024))


class TokenOut(Schema):
    """The token body returned by login and refresh."""

    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Access token lifetime, seconds."})


class EmailTokenForm(Schema):
    """A token from a mailed link (verification, change of email)."""

    # Ours are 43 characters; the bound refuses a huge value before it is hashed.
    token = fields.String(required=True, load_only=True,
                          validate=validate.Length(min=1, max=128))


class PasswordForgotForm(Schema):
    """The address to send a reset link to (if an account uses it)."""

    email = fields.Email(required=True, validate=EMAIL_RULES)


class PasswordResetForm(EmailTokenForm):
    """A reset or invitation token and the new password (same rules as registration)."""

    new_password = fields.String(required=True, load_only=True, validate=PASSWORD_LENGTH)


class EmailChangeForm(Schema):
    """The address to move to, and the current password as proof."""

    new_email = fields.Email(required=True, validate=EMAIL_RULES)
    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=1024))


class InvitationForm(Schema):
    """An admin invites someone: the account exists at once, its password comes later."""

    name = TrimmedString(required=True, validate=NAME_RULES)
    email = fields.Email(required=True, validate=EMAIL_RULES)
    role = OptionalRole(allow_none=True, load_default=lambda: None)


class AcceptedOut(Schema):
    """202: the request was taken; what it causes arrives by mail."""

    detail = fields.String(metadata={"example": "Check your inbox."})


class SessionOut(Schema):
    """One sign-in session as its user (or an admin) sees it."""

    id = fields.Integer()
    created_at = fields.AwareDateTime(data_key="createdAt")
    last_used_at = fields.AwareDateTime(data_key="lastUsedAt")
    ip = fields.String(allow_none=True, metadata={
        "description": "The client's address as the service saw it (after trusted proxies)."})
    user_agent = fields.String(data_key="userAgent", allow_none=True, metadata={
        "description": "The User-Agent of the sign-in, cut to 255 characters."})
    current = fields.Boolean(metadata={"description": "True for the session of this request."})


class SessionList(Schema):
    """Live sessions, newest first."""

    items = fields.List(fields.Nested(SessionOut))


class PersonalTokenForm(Schema):
    """POST /auth/tokens."""

    name = TrimmedString(required=True, validate=[validate.Length(min=1, max=100),
                                                  visible_text])
    scopes = fields.List(fields.Enum(Scope, by_value=True), required=True,
                         validate=validate.Length(min=1, max=len(Scope)), metadata={
                             "description": "users:read and users:write: admins only."})
    expires_in_days = fields.Integer(load_default=90, validate=validate.Range(1, 365))


class PersonalTokenOut(Schema):
    """A personal access token's metadata (never the secret)."""

    id = fields.Integer()
    name = fields.String()
    scopes = fields.List(fields.String(), attribute="scope_list")
    created_at = fields.AwareDateTime(data_key="createdAt")
    expires_at = fields.AwareDateTime(data_key="expiresAt")
    last_used_at = fields.AwareDateTime(data_key="lastUsedAt", allow_none=True)


class PersonalTokenCreated(PersonalTokenOut):
    """The answer to POST /auth/tokens: the only time the secret is shown."""

    token = fields.String(attribute="secret",
                          metadata={"description": "sgn_pat_...; shown only here."})


class PersonalTokenList(Schema):
    """The user's personal access tokens, newest first."""

    items = fields.List(fields.Nested(PersonalTokenOut))
