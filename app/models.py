"""Imports every model so that Alembic and `db.create_all` see the whole schema."""

from app.account.models import EmailToken
from app.audit.models import AuditEvent
from app.federation.models import Identity, ProviderFlow
from app.files.models import File
from app.keys.models import SigningKey
from app.mail.models import OutboxMessage
from app.mfa.models import Passkey, RecoveryCode, TotpSecret, WebAuthnCeremony
from app.oauth_server.models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken
from app.sessions.models import UserSession
from app.tokens.models import PersonalAccessToken, RevokedToken
from app.users.models import Role, User

__all__ = ["AuditEvent", "EmailToken", "File", "Identity", "OAuthClient", "OAuthCode",
           "OAuthGrant", "OAuthToken", "OutboxMessage", "Passkey", "PersonalAccessToken",
           "ProviderFlow", "RecoveryCode", "RevokedToken", "Role", "SigningKey", "TotpSecret",
           "User", "UserSession", "WebAuthnCeremony"]
