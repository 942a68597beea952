"""sign-in sessions and personal access tokens

Revision ID: 0005
Revises: 0004b_email_tokens
Create Date: 2026-11-30

`sessions`: one row per sign-in, with the refresh token id that may still be exchanged
(rotation and reuse detection) and when its tokens expire. `personal_access_tokens`: the
SHA-256 of each token, its scopes and the owner's token version at creation. Both go with
their user (ON DELETE CASCADE). Tokens issued before this revision carry no session id and
are refused: everyone signs in once more after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004b_email_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("lastUsedAt", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("userAgent", sa.String(length=255), nullable=True),
        sa.Column("tokenVersion", sa.Integer(), nullable=False),
        sa.Column("refreshJti", sa.String(length=64), nullable=False),
        sa.Column("previousRefreshJti", sa.String(length=64), nullable=True),
        sa.Column("rotatedAt", sa.DateTime(), nullable=True),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.Column("endedAt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["userId"], ["users.id"], name=op.f("fk_sessions_userId_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index("ix_sessions_userId_id", "sessions", ["userId", "id"], unique=False)

    op.create_table(
        "personal_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("tokenHash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("tokenVersion", sa.Integer(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.Column("lastUsedAt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["userId"], ["users.id"],
                                name=op.f("fk_personal_access_tokens_userId_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_access_tokens")),
        sa.UniqueConstraint("tokenHash", name=op.f("uq_personal_access_tokens_tokenHash")),
    )
    op.create_index("ix_personal_access_tokens_userId_id", "personal_access_tokens",
                    ["userId", "id"], unique=False)


def downgrade():
    # Dropping a table drops its indexes; MariaDB refuses to drop the (userId, id) index
    # first, since the foreign key on userId needs it.
    op.drop_table("personal_access_tokens")
    op.drop_table("sessions")
