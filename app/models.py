"""Imports every model so that Alembic and `db.create_all` see the whole schema."""

from app.auth.models import PersonalAccessToken, RevokedToken, UserSession
from app.files.models import File
from app.users.models import Role, User

__all__ = ["File", "PersonalAccessToken", "RevokedToken", "Role", "User", "UserSession"]
