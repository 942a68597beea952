"""Personal access token schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import TrimmedString, visible_text
from app.scopes import Scope
from app.users.schemas import recent_sign_in_password


class PersonalTokenForm(Schema):
    """POST /auth/tokens."""

    name = TrimmedString(required=True, validate=[validate.Length(min=1, max=100),
                                                  visible_text])
    scopes = fields.List(fields.Enum(Scope, by_value=True), required=True,
                         validate=validate.Length(min=1, max=len(Scope)), metadata={
                             "description": "users:read and users:write: admins only."})
    expires_in_days = fields.Integer(load_default=90, validate=validate.Range(1, 365))
    current_password = recent_sign_in_password()


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
