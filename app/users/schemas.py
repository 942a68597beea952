"""User schemas: what clients see of an account (never its password)."""

from marshmallow import Schema, fields, validate

from app.files.schemas import content_url
from app.pagination import PageArgs, page_schema
from app.schemas import NAME_RULES, TrimmedString
from app.users.models import Role
from app.users.passwords import PASSWORD_LENGTH


class UserOut(Schema):
    """User JSON as the contract defines it."""

    id = fields.Integer(dump_only=True)
    name = fields.String()
    email = fields.String()
    is_active = fields.Boolean(data_key="isActive")
    role = fields.Enum(Role, by_value=True)
    email_verified = fields.Boolean(data_key="emailVerified", dump_only=True)
    profile_image_id = fields.Integer(data_key="profileImageId", allow_none=True)
    profile_image_url = fields.Method("_profile_image_url", data_key="profileImageUrl",
                                      allow_none=True)
    created_by = fields.Integer(data_key="createdBy", allow_none=True)
    updated_by = fields.Integer(data_key="updatedBy", allow_none=True)
    created_at = fields.AwareDateTime(data_key="createdAt")
    updated_at = fields.AwareDateTime(data_key="updatedAt")

    def _profile_image_url(self, user) -> str | None:
        if user.profile_image_id is None:
            return None
        return content_url(user.profile_image_id)


class UserCreateForm(Schema):
    """The fields every new account needs, wherever it is created (API, form, CLI)."""

    name = TrimmedString(required=True, validate=NAME_RULES)
    email = fields.Email(required=True, validate=validate.Length(max=255))
    password = fields.String(required=True, load_only=True, validate=PASSWORD_LENGTH)


class UserListArgs(PageArgs):
    """Query parameters of the admin user list."""

    role = fields.Enum(Role, by_value=True, load_default=None)
    is_active = fields.Boolean(data_key="isActive", load_default=None)
    q = TrimmedString(load_default=None, validate=validate.Length(min=1, max=255), metadata={
        "description": "Matches the start of the name or of the email (case-insensitive)."})


UserPage = page_schema(UserOut, "UserPage")


class UserUpdateForm(Schema):
    """Fields an admin may change; omitted fields stay as they are."""

    name = TrimmedString(validate=NAME_RULES)
    role = fields.Enum(Role, by_value=True)
    is_active = fields.Boolean(data_key="isActive")
