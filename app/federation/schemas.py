"""Provider sign-in schemas: the provider list, identities, the id-token form, queries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.users.schemas import recent_sign_in_password

# An ID token is a few KiB at most; 16 KiB leaves room and bounds the work before parsing.
MAX_ID_TOKEN = 16 * 1024
# Query values are capped so that a whole request line fits gunicorn's limit_request_line
# (8190) even with every character percent-encoded: past it gunicorn answers 414 itself,
# outside the API. `next` may hold any text (up to 12 encoded bytes per character); the
# callback's values are printable ASCII (RFC 6749 Appendix A: VSCHAR, NQSCHAR), 3 bytes each.
NEXT_VALUE = validate.Length(max=512)
PRINTABLE_ASCII = validate.Regexp(r"^[\x20-\x7e]*$", error="Must be printable ASCII.")


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

    next = fields.String(validate=NEXT_VALUE, metadata={"example": "/profile"})


class CallbackQuery(Schema):
    """What the provider appends to the redirect URI."""

    code = fields.String(validate=[validate.Length(max=2048), PRINTABLE_ASCII])
    state = fields.String(validate=[validate.Length(max=128), PRINTABLE_ASCII])  # ours: 43
    error = fields.String(validate=[validate.Length(max=64), PRINTABLE_ASCII])
    error_description = fields.String(validate=[validate.Length(max=256), PRINTABLE_ASCII])


class UnlinkForm(Schema):
    """Proof of a recent sign-in before unlinking."""

    current_password = recent_sign_in_password()
