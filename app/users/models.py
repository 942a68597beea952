"""The `users` table."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

# Emails are stored lower-cased and compared byte for byte: MySQL's default collation
# would also equate "é" with "e" (migration 0003).
EMAIL_TYPE = String(255).with_variant(
    mysql.VARCHAR(255, collation="utf8mb4_bin"), "mysql", "mariadb")


class Role(enum.StrEnum):
    """What a user may do: admins manage users and see every file."""

    ADMIN = "admin"
    USER = "user"


class User(db.Model):
    """An account. Column names are the contract's camelCase; attributes are Python's."""

    __tablename__ = "users"
    # The admin list pages by id within a role or activity filter (keyset pagination).
    __table_args__ = (
        Index("ix_users_role_id", "role", "id"),
        Index("ix_users_isActive_id", "isActive", "id"),
        # Ids of deleted accounts are never reused (SQLite would; migration 0006).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed for the admin list's prefix search (`q`).
    name: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    email: Mapped[str] = mapped_column(EMAIL_TYPE, nullable=False, unique=True, index=True)
    # The bcrypt hash; the column keeps the contract's name.
    password_hash: Mapped[str] = mapped_column("password", String(255), nullable=False)
    # Accounts a provider sign-in created hold an empty hash until a reset sets one. Read
    # with the token check's row (which never reads the hash), so the user JSON's
    # `hasPassword` costs no second query.
    has_password: Mapped[bool] = column_property(password_hash != "")
    is_active: Mapped[bool] = mapped_column(
        "isActive", default=True, server_default=text("1"), nullable=False
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda roles: [r.value for r in roles]),
        default=Role.USER,
        server_default=Role.USER.value,
        nullable=False,
    )
    profile_image_id: Mapped[int | None] = mapped_column(
        "profileImageId",
        ForeignKey("files.id", ondelete="SET NULL", use_alter=True),
        nullable=True,
    )
    created_by: Mapped[int | None] = mapped_column(
        "createdBy", ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_by: Mapped[int | None] = mapped_column(
        "updatedBy", ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # Bumped on password change: every token carrying an older version is refused.
    token_version: Mapped[int] = mapped_column(
        "tokenVersion", default=0, server_default=text("0"), nullable=False
    )
    # Set when the owner proves they read mail at `email` (a link, or a password they set
    # through a mailed link); null until then. Changing the email sets it anew.
    email_verified_at: Mapped[datetime | None] = mapped_column(
        "emailVerifiedAt", UTCDateTime(), nullable=True
    )
    # On once a TOTP secret is confirmed: the password alone no longer signs in.
    mfa_enabled: Mapped[bool] = mapped_column(
        "mfaEnabled", default=False, server_default=text("0"), nullable=False
    )
    # Bytes of files the user owns (profile image included), kept by the same transaction
    # that adds or removes a file: the quota is a conditional UPDATE of this counter.
    storage_used: Mapped[int] = mapped_column(
        "storageUsed", BigInteger, default=0, server_default=text("0"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    # Loaded only when read: the user JSON needs profileImageId, never the file's row.
    profile_image = relationship("File", foreign_keys=[profile_image_id])

    @property
    def is_admin(self) -> bool:
        """True when the account holds the admin role."""
        return self.role == Role.ADMIN

    @property
    def email_verified(self) -> bool:
        """True once the owner has proven they receive mail at the account's address."""
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
