"""email tokens and users.emailVerifiedAt

Revision ID: 0004b_email_tokens
Revises: 0004
Create Date: 2026-11-30

Mailed tokens (email verification, password reset, change of email, invitation) are kept
as SHA-256 hashes only, with their purpose, user, expiry and used-at stamp; deleting a user
deletes their tokens. Existing accounts start unverified (emailVerifiedAt null).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004b_email_tokens"
down_revision = "0004"
branch_labels = None
depends_on = None

PURPOSES = ("verify_email", "password_reset", "email_change", "invitation")
EMAIL = sa.String(length=255).with_variant(
    mysql.VARCHAR(length=255, collation="utf8mb4_bin"), "mysql", "mariadb")


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("emailVerifiedAt", sa.DateTime(), nullable=True))

    op.create_table(
        "email_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tokenHash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.Enum(*PURPOSES, name="email_token_purpose"), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("email", EMAIL, nullable=False),
        sa.Column("tokenVersion", sa.Integer(), nullable=False),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.Column("usedAt", sa.DateTime(), nullable=True),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["userId"], ["users.id"],
                                name=op.f("fk_email_tokens_userId_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_tokens")),
        sa.UniqueConstraint("tokenHash", name=op.f("uq_email_tokens_tokenHash")),
    )
    op.create_index(op.f("ix_email_tokens_userId"), "email_tokens", ["userId"], unique=False)
    op.create_index(op.f("ix_email_tokens_expiresAt"), "email_tokens", ["expiresAt"],
                    unique=False)


def downgrade():
    # The table's indexes go with it (MySQL refuses to drop the one its foreign key uses).
    op.drop_table("email_tokens")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("emailVerifiedAt")
