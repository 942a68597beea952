"""users, files and revoked tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-28

users.profileImageId and files.ownerId point at each other, so users is created first
and its foreign key to files is added once files exists (MySQL refuses a forward one).
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("isActive", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("role", sa.Enum("admin", "user", name="user_role"),
                  server_default="user", nullable=False),
        sa.Column("profileImageId", sa.Integer(), nullable=True),
        sa.Column("createdBy", sa.Integer(), nullable=True),
        sa.Column("updatedBy", sa.Integer(), nullable=True),
        sa.Column("tokenVersion", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["createdBy"], ["users.id"], name=op.f("fk_users_createdBy_users")),
        sa.ForeignKeyConstraint(["updatedBy"], ["users.id"], name=op.f("fk_users_updatedBy_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=True)

    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=127), nullable=False),
        sa.Column("originalName", sa.String(length=255), nullable=False),
        sa.Column("modifiedName", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("ownerId", sa.Integer(), nullable=True),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ownerId"], ["users.id"], name=op.f("fk_files_ownerId_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("modifiedName", name=op.f("uq_files_modifiedName")),
    )
    op.create_index(op.f("ix_files_ownerId"), "files", ["ownerId"], unique=False)

    with op.batch_alter_table("users") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_users_profileImageId_files"), "files", ["profileImageId"], ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "revoked_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revoked_tokens")),
        sa.UniqueConstraint("jti", name=op.f("uq_revoked_tokens_jti")),
    )
    op.create_index(op.f("ix_revoked_tokens_expiresAt"), "revoked_tokens", ["expiresAt"],
                    unique=False)


def downgrade():
    op.drop_table("revoked_tokens")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("fk_users_profileImageId_files"), type_="foreignkey")
    op.drop_table("files")
    op.drop_table("users")
