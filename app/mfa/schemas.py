"""Request and response bodies of the multi-factor calls."""

import json

from marshmallow import Schema, ValidationError, fields, validate

from app.schemas import TrimmedString, visible_text
from app.users.schemas import recent_sign_in_password

PASSWORD = {"required": True, "load_only": True, "validate": validate.Length(min=1, max=1024)}


class PasswordForm(Schema):
    """The current password: proof of a recent sign-in before a sensitive change."""

    current_password = recent_sign_in_password()


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


class TotpSetupOut(Schema):
    """The new secret, shown once: as text, as an otpauth:// URI and as a QR code."""

    secret = fields.String()
    otpauth_uri = fields.String(data_key="otpauthUri")
    qr_svg = fields.String(data_key="qrSvg", metadata={"description": "Inline SVG."})


class RecoveryCodesOut(Schema):
    """Ten single-use recovery codes, shown only in this answer."""

    recovery_codes = fields.List(fields.String(), data_key="recoveryCodes")


MAX_CREDENTIAL_CHARS = 16 * 1024


class CredentialField(fields.Field):
    """A PublicKeyCredential as JSON: an object, or (from a form) its JSON text."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if len(value) > MAX_CREDENTIAL_CHARS:
                raise ValidationError(f"Longer than {MAX_CREDENTIAL_CHARS} characters.")
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                raise ValidationError("Not valid JSON.") from None
        if not isinstance(value, dict):
            raise ValidationError("Must be a PublicKeyCredential object.")
        if len(json.dumps(value)) > MAX_CREDENTIAL_CHARS:
            raise ValidationError(f"Longer than {MAX_CREDENTIAL_CHARS} characters.")
        return value


CEREMONY = {"required": True, "load_only": True, "validate": validate.Length(min=1, max=128),
            "metadata": {"description": "The `ceremony` of the options answer."}}


class PasskeyRegisterForm(Schema):
    """The authenticator's answer to navigator.credentials.create."""

    ceremony = fields.String(**CEREMONY)
    credential = CredentialField(required=True, load_only=True,
                                 metadata={"type": "object", "description": (
                                     "PublicKeyCredential.toJSON() (JSON text in a form).")})
    name = TrimmedString(load_default="Passkey",
                         validate=[validate.Length(min=1, max=100), visible_text])


class PasskeyOptionsOut(Schema):
    """The ceremony's handle, and the options to give the browser's WebAuthn call."""

    ceremony = fields.String(metadata={"description": "Send it back with the credential."})
    public_key = fields.Dict(data_key="publicKey", metadata={
        "description": "PublicKeyCredentialCreationOptions / RequestOptions as JSON."})


class PasskeyOut(Schema):
    """A registered passkey (never its key material)."""

    id = fields.Integer()
    name = fields.String()
    created_at = fields.AwareDateTime(data_key="createdAt")
    last_used_at = fields.AwareDateTime(data_key="lastUsedAt", allow_none=True)
