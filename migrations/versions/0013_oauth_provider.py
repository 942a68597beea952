"""OpenID Provider: oauth_clients, oauth_grants, oauth_codes, oauth_tokens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Other applications sign their users in with Signet (OpenID Connect). Clients' secrets,
authorization codes and tokens are stored as SHA-256 hashes only; codes and tokens are
bound to the Signet session that approved them, so ending it ends them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("secretHash", sa.String(64), nullable=True),
        sa.Column("redirectUris", sa.Text(), nullable=False),
        sa.Column("postLogoutRedirectUris", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(255), nullable=False),
        sa.Column("firstParty", sa.Boolean(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("clientId", name=op.f("uq_oauth_clients_clientId")),
    )
    op.create_table(
        "oauth_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.String(255), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("lastUsedAt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["userId"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_oauth_grants_userId_users")),
        sa.ForeignKeyConstraint(["clientId"], ["oauth_clients.id"], ondelete="CASCADE",
                                name=op.f("fk_oauth_grants_clientId_oauth_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_grants")),
        sa.UniqueConstraint("userId", "clientId", name="uq_oauth_grants_user_client"),
    )
    op.create_index(op.f("ix_oauth_grants_clientId"), "oauth_grants", ["clientId"])
    op.create_table(
        "oauth_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("codeHash", sa.String(64), nullable=False),
        sa.Column("grantId", sa.Integer(), nullable=False),
        sa.Column("sessionId", sa.Integer(), nullable=False),
        sa.Column("redirectUri", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("nonce", sa.String(255), nullable=True),
        sa.Column("codeChallenge", sa.String(128), nullable=True),
        sa.Column("codeChallengeMethod", sa.String(8), nullable=True),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grantId"], ["oauth_grants.id"], ondelete="CASCADE",
                                name=op.f("fk_oauth_codes_grantId_oauth_grants")),
        sa.ForeignKeyConstraint(["sessionId"], ["sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_oauth_codes_sessionId_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_codes")),
        sa.UniqueConstraint("codeHash", name=op.f("uq_oauth_codes_codeHash")),
    )
    op.create_index(op.f("ix_oauth_codes_grantId"), "oauth_codes", ["grantId"])
    op.create_index(op.f("ix_oauth_codes_sessionId"), "oauth_codes", ["sessionId"])
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grantId", sa.Integer(), nullable=False),
        sa.Column("sessionId", sa.Integer(), nullable=False),
        sa.Column("family", sa.Integer(), nullable=True),
        sa.Column("accessHash", sa.String(64), nullable=False),
        sa.Column("refreshHash", sa.String(64), nullable=True),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("issuedAt", sa.DateTime(), nullable=False),
        sa.Column("expiresAt", sa.DateTime(), nullable=False),
        sa.Column("refreshExpiresAt", sa.DateTime(), nullable=True),
        sa.Column("rotatedAt", sa.DateTime(), nullable=True),
        sa.Column("revokedAt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["grantId"], ["oauth_grants.id"], ondelete="CASCADE",
                                name=op.f("fk_oauth_tokens_grantId_oauth_grants")),
        sa.ForeignKeyConstraint(["sessionId"], ["sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_oauth_tokens_sessionId_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("accessHash", name=op.f("uq_oauth_tokens_accessHash")),
        sa.UniqueConstraint("refreshHash", name=op.f("uq_oauth_tokens_refreshHash")),
    )
    op.create_index("ix_oauth_tokens_family", "oauth_tokens", ["family"])
    op.create_index(op.f("ix_oauth_tokens_grantId"), "oauth_tokens", ["grantId"])
    op.create_index(op.f("ix_oauth_tokens_sessionId"), "oauth_tokens", ["sessionId"])


def downgrade():
    op.drop_table("oauth_tokens")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_grants")
    op.drop_table("oauth_clients")
