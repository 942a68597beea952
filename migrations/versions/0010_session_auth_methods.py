"""sessions.authMethods: how each sign-in proved who it was (OpenID `amr` values)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Applications that trust Signet's ID tokens ask how the user signed in (`amr`: pwd, otp,
hwk, fed) and when (`auth_time`, the session's createdAt). Sessions started before this
column existed were password sign-ins.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("authMethods", sa.String(32), nullable=False,
                                   server_default="pwd"))


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("authMethods")
