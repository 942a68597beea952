"""mail outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

The transactional outbox of app/mail: a message is a row written in the transaction of the
change that causes it, delivered (and its bodies cleared) by the running service.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("messageId", sa.String(length=255), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("textBody", sa.Text(), nullable=True),
        sa.Column("htmlBody", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("nextAttemptAt", sa.DateTime(), nullable=False),
        sa.Column("claimedUntil", sa.DateTime(), nullable=True),
        sa.Column("claimedBy", sa.String(length=32), nullable=True),
        sa.Column("lastError", sa.String(length=500), nullable=True),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.Column("sentAt", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("messageId", name=op.f("uq_mail_outbox_messageId")),
    )
    op.create_index("ix_mail_outbox_status_nextAttemptAt", "mail_outbox",
                    ["status", "nextAttemptAt"], unique=False)


def downgrade():
    op.drop_index("ix_mail_outbox_status_nextAttemptAt", table_name="mail_outbox")
    op.drop_table("mail_outbox")
