"""identities and provider_flows: sign-in with other providers (OpenID Connect, GitHub)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

An identity is a provider's (issuer, sub), linked to one account (ON DELETE CASCADE).
Accounts created by a provider sign-in have no password (an empty hash: `hasPassword`
false) until one is set through a reset. provider_flows keeps the SHA-256 of each started
flow's state, so a state is used once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=191), nullable=False),
        sa.Column("sub", sa.String(length=191), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("lastUsedAt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["userId"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_identities_userId_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("issuer", "sub", name="uq_identities_issuer_sub"),
    )
    op.create_index(op.f("ix_identities_userId"), "identities", ["userId"], unique=False)
    op.create_table(
        "provider_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stateHash", sa.String(length=64), nullable=False),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_flows")),
        sa.UniqueConstraint("stateHash", name=op.f("uq_provider_flows_stateHash")),
    )
    op.create_index(op.f("ix_provider_flows_expiresAt"), "provider_flows", ["expiresAt"],
                    unique=False)


def downgrade():
    # Their indexes go with the tables (MySQL refuses to drop the userId index first: the
    # foreign key needs it).
    op.drop_table("provider_flows")
    op.drop_table("identities")
