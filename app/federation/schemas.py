"""Provider sign-in schemas: the provider list, identities, the id-token form, queries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.users.schemas import recent_sign_in_password

# An ID token is a few KiB at most; 16 KiB leaves room and bounds the work before parsing.
MAX_ID_TOKEN = 16 * 1024
QUERY_VALUE = validate.Length(max=2048)


class ProviderOut(Schema):
    """A configured provider: its id (in URLs) and its button label."""

    id = fields.String(metadata={"example": "google"})
    name = fields.String(metadata={"example": "Google"})


class ProviderList(Schema):
    """Every configured provider."""

    items = fields.List(fields.Nested(ProviderOut))


class IdentityOut(Schema):
    """A provider identity linked to the account."""

    id = fields.Integer()
    provider = fields.String(metadata={"example": "google"})
    email = fields.String(allow_none=True, metadata={
        "description": "The address the provider named at the last sign-in."})
    created_at = fields.AwareDateTime(data_key="createdAt")
    last_used_at = fields.AwareDateTime(data_key="lastUsedAt", allow_none=True)


class IdentityList(Schema):
    """The identities linked to the account."""

    items = fields.List(fields.Nested(IdentityOut))


class IdTokenForm(Schema):
    """An ID token the provider issued to an app that ran its sign-in itself."""

    id_token = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=MAX_ID_TOKEN))
    nonce = fields.String(load_only=True, validate=validate.Length(min=1, max=255),
                          metadata={"description": "The nonce the app sent, if it sent one."})


class NextQuery(Schema):
    """Where to go afterwards: a path on this site."""

    next = fields.String(validate=QUERY_VALUE, metadata={"example": "/profile"})


class CallbackQuery(Schema):
    """What the provider appends to the redirect URI."""

    code = fields.String(validate=QUERY_VALUE)
    state = fields.String(validate=QUERY_VALUE)
    error = fields.String(validate=validate.Length(max=256))
    error_description = fields.String(validate=QUERY_VALUE)


class UnlinkForm(Schema):
    """Proof of a recent sign-in before unlinking."""

    current_password = recent_sign_in_password()
