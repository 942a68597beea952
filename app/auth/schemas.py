"""Login request and response schemas: credentials in, a token pair out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.mfa.schemas import CEREMONY, CredentialField


class LoginForm(Schema):
    """Login credentials."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=1024))


class TokenOut(Schema):
    """The token body returned by login and refresh."""

    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Access token lifetime, seconds."})


class MfaLoginForm(Schema):
    """The second step of a login."""

    mfa_token = fields.String(required=True, load_only=True,
                              validate=validate.Length(min=1, max=2048))
    code = fields.String(required=True, load_only=True,
                         validate=validate.Length(min=1, max=64),
                         metadata={"description": "A 6-digit TOTP code, or a recovery code."})


class LoginOut(TokenOut):
    """The token pair, or (with MFA on) the mfa_token for POST /auth/login/mfa."""

    mfa_required = fields.Boolean(metadata={"description": "Present (true) with MFA on."})
    mfa_token = fields.String(metadata={"description": "For POST /auth/login/mfa only."})
    methods = fields.List(fields.String(), metadata={"example": ["totp", "recovery_code"]})


class PasskeyLoginForm(Schema):
    """The authenticator's answer to navigator.credentials.get."""

    ceremony = fields.String(**CEREMONY)
    credential = CredentialField(required=True, load_only=True,
                                 metadata={"type": "object", "description": (
                                     "PublicKeyCredential.toJSON() (JSON text in a form).")})
