"""User schemas: what clients see of an account (never its password)."""

from marshmallow import Schema, fields, validate

from app.files.schemas import content_url
from app.pagination import PageArgs, page_schema
from app.schemas import EMAIL_RULES, NAME_RULES, TrimmedString
from app.users.models import Role
from app.users.passwords import PASSWORD_LENGTH
from app.users.quota import storage_quota
from app.users.reauth import has_password


def recent_sign_in_password() -> fields.String:
    """`current_password` of a sensitive change (app.users.reauth decides when it is needed)."""
    # Not required by the schema: an account without a password (provider sign-in) proves
    # a recent sign-in instead. For every account with a password, missing is a 422 on it.
    return fields.String(load_only=True, validate=validate.Length(min=1, max=1024), metadata={
        "description": "Your current password: required for an account that has one."})

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
    mfa_enabled = fields.Boolean(data_key="mfaEnabled")
    has_password = fields.Function(has_password, data_key="hasPassword", metadata={
        "type": "boolean", "description": (
            "False for an account made by a provider sign-in until a reset sets one.")})
    created_by = fields.Integer(data_key="createdBy", allow_none=True)
    updated_by = fields.Integer(data_key="updatedBy", allow_none=True)
    created_at = fields.AwareDateTime(data_key="createdAt")
    updated_at = fields.AwareDateTime(data_key="updatedAt")
    storage_used = fields.Integer(data_key="storageUsed", metadata={
        "description": "Bytes of files the user owns, profile image included."})
    storage_quota = fields.Function(storage_quota, data_key="storageQuota", allow_none=True,
                                    metadata={"type": "integer", "description": (
                                        "Bytes the user may store; null when unlimited.")})

    def _profile_image_url(self, user) -> str | None:
        return profile_image_url(user.profile_image_id)

    def dump(self, obj, *, many: bool | None = None):
        """Dump with `user_json` when this schema is the plain UserOut it was written for.

        Marshmallow's generic dump of these eleven fields cost ~150 us a user (measured
        in-process); `user_json` does the same work directly. A schema with only/exclude,
        or a UserOut that gained a field `user_json` does not know (USER_JSON_FIELDS), falls
        back to the generic dump. tests/users/test_user_json.py proves both agree.
        """
        many = self.many if many is None else many
        if self.only or self.exclude or set(self.dump_fields) != USER_JSON_FIELDS:
            return super().dump(obj, many=many)
        return [user_json(user) for user in obj] if many else user_json(obj)


def profile_image_url(image_id: int | None) -> str | None:
    """The download path of a profile image, or None without one."""
    return None if image_id is None else content_url(image_id)


def user_json(user) -> dict:
    """The user JSON of UserOut, written out: no per-field machinery."""
    image_id = user.profile_image_id
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "isActive": user.is_active,
        "role": user.role.value,
        "emailVerified": user.email_verified,
        "profileImageId": image_id,
        "profileImageUrl": profile_image_url(image_id),
        "mfaEnabled": user.mfa_enabled,
        "hasPassword": has_password(user),
        "createdBy": user.created_by,
        "updatedBy": user.updated_by,
        "createdAt": user.created_at.isoformat(),
        "updatedAt": user.updated_at.isoformat(),
        "storageUsed": user.storage_used,
        "storageQuota": storage_quota(user),
    }


# The fields `user_json` writes, by attribute name: UserOut must declare exactly these.
USER_JSON_FIELDS = frozenset((
    "id", "name", "email", "is_active", "role", "email_verified", "profile_image_id",
    "profile_image_url", "mfa_enabled", "has_password", "created_by", "updated_by", "created_at",
    "updated_at", "storage_used", "storage_quota"))


class UserCreateForm(Schema):
    """The fields every new account needs, wherever it is created (API, form, CLI)."""

    name = TrimmedString(required=True, validate=NAME_RULES)
    email = fields.Email(required=True, validate=EMAIL_RULES)
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
