"""email compared byte for byte on MySQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

MariaDB's default utf8mb4_unicode_ci collation is accent-insensitive: "josé@example.com"
and "jose@example.com" were one address there (the unique index refused the second, and a
login with either found the first) while SQLite kept them apart. The service stores emails
lower-cased, so a binary collation gives exactly the contract's rule on both databases:
case-insensitive, nothing more. SQLite already compares bytes; nothing to do there.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "mysql":
        return
    op.alter_column("users", "email", existing_type=sa.String(length=255),
                    type_=mysql.VARCHAR(length=255, collation="utf8mb4_bin"),
                    existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name != "mysql":
        return
    # Without a COLLATE clause the column takes the table's default collation again.
    op.alter_column("users", "email", existing_type=mysql.VARCHAR(length=255),
                    type_=sa.String(length=255), existing_nullable=False)
