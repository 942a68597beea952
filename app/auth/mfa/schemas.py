"""Request and response bodies of the multi-factor calls."""

from marshmallow import Schema, fields, validate

from app.auth.schemas import TokenOut

PASSWORD = {"required": True, "load_only": True, "validate": validate.Length(min=1, max=1024)}


class PasswordForm(Schema):
    """The current password, as proof before a secret is handed out."""

    current_password = fields.String(**PASSWORD)


class CodeForm(Schema):
    """A TOTP code from the authenticator app."""

    code = fields.String(required=True, load_only=True,
                         validate=validate.Length(min=1, max=64))


class PasswordAndCodeForm(Schema):
    """The current password and a current code (or a recovery code)."""

    current_password = fields.String(**PASSWORD)
    code = fields.String(required=True, load_only=True,
                         validate=validate.Length(min=1, max=64),
                         metadata={"description": "A 6-digit TOTP code, or a recovery code."})


class MfaLoginForm(Schema):
    """The second step of a login."""

    mfa_token = fields.String(required=True, load_only=True,
                              validate=validate.Length(min=1, max=2048))
    code = fields.String(required=True, load_only=True,
                         validate=validate.Length(min=1, max=64),
                         metadata={"description": "A 6-digit TOTP code, or a recovery code."})


class TotpSetupOut(Schema):
    """The new secret, shown once: as text, as an otpauth:// URI and as a QR code."""

    secret = fields.String()
    otpauth_uri = fields.String(data_key="otpauthUri")
    qr_svg = fields.String(data_key="qrSvg", metadata={"description": "Inline SVG."})


class RecoveryCodesOut(Schema):
    """Ten single-use recovery codes, shown only in this answer."""

    recovery_codes = fields.List(fields.String(), data_key="recoveryCodes")


class LoginOut(TokenOut):
    """The token pair, or (with MFA on) the mfa_token for POST /auth/login/mfa."""

    mfa_required = fields.Boolean(metadata={"description": "Present (true) with MFA on."})
    mfa_token = fields.String(metadata={"description": "For POST /auth/login/mfa only."})
    methods = fields.List(fields.String(), metadata={"example": ["totp", "recovery_code"]})
