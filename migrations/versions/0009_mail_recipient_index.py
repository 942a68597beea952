"""mail_outbox (recipient, createdAt) index for MAIL_PER_ADDRESS_PER_HOUR

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Every queued message first counts its recipient's messages of the last hour; the index
makes that a short range scan however large the outbox grows.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_mail_outbox_recipient_createdAt", "mail_outbox",
                    ["recipient", "createdAt"])


def downgrade():
    op.drop_index("ix_mail_outbox_recipient_createdAt", table_name="mail_outbox")
