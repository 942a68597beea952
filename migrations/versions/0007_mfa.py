"""multi-factor sign-in: TOTP secrets, recovery codes, passkeys, WebAuthn ceremonies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

`users.mfaEnabled` is a flag on the user row so the login and the user JSON need no join;
the factors themselves live in their own tables and go with the user (ON DELETE CASCADE).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["userId"], ["users.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_userId_users"))


def upgrade():
    # A rebuilt users table keeps AUTOINCREMENT (0006): SQLite must never reuse an id.
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("mfaEnabled", sa.Boolean(), server_default=sa.text("0"),
                                      nullable=False))
    op.create_table(
        "mfa_totp",
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("confirmedAt", sa.DateTime(), nullable=True),
        sa.Column("lastStep", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        _user_fk("mfa_totp"),
        sa.PrimaryKeyConstraint("userId", name=op.f("pk_mfa_totp")),
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("codeHash", sa.String(length=64), nullable=False),
        sa.Column("usedAt", sa.DateTime(), nullable=True),
        _user_fk("mfa_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("userId", "codeHash",
                            name=op.f("uq_mfa_recovery_codes_userId_codeHash")),
    )
    op.create_table(
        "passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("credentialIdHash", sa.String(length=64), nullable=False),
        sa.Column("credentialId", sa.LargeBinary(), nullable=False),
        sa.Column("publicKey", sa.LargeBinary(), nullable=False),
        sa.Column("signCount", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("lastUsedAt", sa.DateTime(), nullable=True),
        _user_fk("passkeys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkeys")),
        sa.UniqueConstraint("credentialIdHash", name=op.f("uq_passkeys_credentialIdHash")),
    )
    op.create_index(op.f("ix_passkeys_userId"), "passkeys", ["userId"])
    op.create_table(
        "webauthn_ceremonies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handleHash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=True),
        sa.Column("challenge", sa.LargeBinary(), nullable=False),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.Column("usedAt", sa.DateTime(), nullable=True),
        _user_fk("webauthn_ceremonies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_ceremonies")),
        sa.UniqueConstraint("handleHash", name=op.f("uq_webauthn_ceremonies_handleHash")),
    )
    op.create_index(op.f("ix_webauthn_ceremonies_expiresAt"), "webauthn_ceremonies",
                    ["expiresAt"])


def downgrade():
    # Dropping a table drops its indexes; MariaDB refuses to drop the userId index alone
    # while the foreign key needs it.
    op.drop_table("webauthn_ceremonies")
    op.drop_table("passkeys")
    op.drop_table("mfa_recovery_codes")
    op.drop_table("mfa_totp")
    # A rebuilt users table keeps AUTOINCREMENT (0006): SQLite must never reuse an id.
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("mfaEnabled")
