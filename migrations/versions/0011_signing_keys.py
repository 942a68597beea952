"""signing_keys: asymmetric keys published in the JWKS, private parts encrypted at rest

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Other services verify Signet's tokens with the public keys at /.well-known/jwks.json;
`sequence` is unique so that concurrent workers making the first key make exactly one.
"""

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("alg", sa.String(8), nullable=False),
        sa.Column("publicJwk", sa.Text(), nullable=False),
        sa.Column("sealedPrivateJwk", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("signsFrom", sa.DateTime(), nullable=False),
        sa.Column("retiredAt", sa.DateTime(), nullable=True),
        sa.Column("publishedUntil", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("sequence", name=op.f("uq_signing_keys_sequence")),
        sa.UniqueConstraint("kid", name=op.f("uq_signing_keys_kid")),
    )
    op.create_index(op.f("ix_signing_keys_publishedUntil"), "signing_keys",
                    ["publishedUntil"])


def downgrade():
    op.drop_index(op.f("ix_signing_keys_publishedUntil"), table_name="signing_keys")
    op.drop_table("signing_keys")
