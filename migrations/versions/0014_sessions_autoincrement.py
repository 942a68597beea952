"""sessions ids are never handed out again on SQLite (AUTOINCREMENT)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A session's revocation outlives its row (`sid:<id>` in revoked_tokens, until its tokens
expire). SQLite hands the largest rowid out again once its row is deleted (a deleted
account takes its sessions along), so the next sign-in took that id and was refused at
once as revoked. AUTOINCREMENT (kept in sqlite_sequence) never reuses an id; MariaDB's
AUTO_INCREMENT never did.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)


def _rebuild(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # migrations/env.py turns foreign keys off around SQLite migrations: dropping the old
    # table runs no ON DELETE action on the rows that point at sessions.
    with op.batch_alter_table("sessions", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
