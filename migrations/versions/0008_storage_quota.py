"""users.storageUsed: the byte counter the storage quota is enforced on

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Each upload raises the owner's counter with a conditional UPDATE in the upload's own
transaction, so two concurrent uploads cannot pass the quota together. Existing rows are
backfilled from the sizes of the files each user owns.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases: batch mode would copy the users table on
    # SQLite, and dropping the old copy fires files.ownerId's ON DELETE SET NULL.
    op.add_column("users", sa.Column("storageUsed", sa.BigInteger(), nullable=False,
                                     server_default=sa.text("0")))
    op.execute(sa.text(
        "UPDATE users SET storageUsed = "
        "(SELECT COALESCE(SUM(files.size), 0) FROM files WHERE files.ownerId = users.id)"))


def downgrade():
    op.drop_column("users", "storageUsed")  # SQLite 3.35+ drops a column in place
