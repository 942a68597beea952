"""Account request and response schemas: registration, profile, password, email flows."""

import enum

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas import EMAIL_RULES, NAME_RULES, FileField, TrimmedString
from app.users.models import Role
from app.users.passwords import PASSWORD_LENGTH
from app.users.schemas import UserCreateForm, recent_sign_in_password

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


# A browser form's hidden fields, read by Flask-JWT-Extended and app.web.forms.
FORM_PLUMBING = frozenset({"csrf_token", "next"})
UNKNOWN_FIELD = "Unknown field: this endpoint changes only name and profile_image."
# Fields of the account that have an endpoint of their own.
ELSEWHERE = {
    "email": "The email address changes through POST /api/v1/auth/email/change (a "
             "confirmation link goes to the new address).",
    "password": "The password changes through POST /api/v1/auth/password.",
    "new_password": "The password changes through POST /api/v1/auth/password.",
    "role": "Only an admin changes a role, through PATCH /api/v1/users/{id}.",
}


class ProfileUpdateForm(Schema):
    """PATCH /auth/me: the fields a user may change on their own account."""

    # Left out means "keep"; an explicit null is an error, not a way to erase the name.
    name = TrimmedString(validate=NAME_RULES, load_default=None, allow_none=False)
    profile_image = FileField(load_default=None, metadata={
        "description": "Replaces the current image; JPEG, PNG, GIF or WebP."})

    @validates_schema(pass_original=True)
    def refuse_other_fields(self, _data, original, **_kwargs):
        """Name each field this endpoint cannot change, instead of ignoring it (a 200 no-op)."""
        known = {field.data_key or name for name, field in self.fields.items()}
        unknown = sorted(set(original) - known - FORM_PLUMBING)
        if unknown:
            raise ValidationError({name: [ELSEWHERE.get(name, UNKNOWN_FIELD)]
                                   for name in unknown})


class PasswordChangeForm(Schema):
    """The current password (proof) and the new one (same rules as registration)."""

    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD_LENGTH)


class AccountDeleteForm(Schema):
    """The current password (or, without one, a recent sign-in) as proof of the holder."""

    current_password = recent_sign_in_password()


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
    current_password = recent_sign_in_password()


class InvitationForm(Schema):
    """An admin invites someone: the account exists at once, its password comes later."""

    name = TrimmedString(required=True, validate=NAME_RULES)
    email = fields.Email(required=True, validate=EMAIL_RULES)
    role = OptionalRole(allow_none=True, load_default=lambda: None)


class AcceptedOut(Schema):
    """202: the request was taken; what it causes arrives by mail."""

    detail = fields.String(metadata={"example": "Check your inbox."})








