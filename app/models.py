"""Imports every model so that Alembic and `db.create_all` see the whole schema."""

from app.audit.models import AuditEvent
from app.auth.mfa.models import Passkey, RecoveryCode, TotpSecret, WebAuthnCeremony
from app.auth.models import EmailToken, PersonalAccessToken, RevokedToken, UserSession
from app.files.models import File
from app.mail.models import OutboxMessage
from app.users.models import Role, User

__all__ = ["AuditEvent", "EmailToken", "File", "OutboxMessage", "Passkey",
           "PersonalAccessToken", "RecoveryCode", "RevokedToken", "Role", "TotpSecret", "User",
           "UserSession", "WebAuthnCeremony"]
