"""audit_events; users.createdBy/updatedBy become null when the named user is deleted

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Accounts can now be deleted (DELETE /auth/me). `users.createdBy` and `users.updatedBy`
were plain foreign keys, so deleting an admin who had created or edited others was refused
by the database; they get ON DELETE SET NULL like `files.ownerId` and
`users.profileImageId` already have. `audit_events.actorId`/`subjectId` are deliberately
no foreign keys: an event keeps the numeric id of an account after it is gone. On SQLite,
users ids become AUTOINCREMENT so a deleted account's id is never handed out again
(MariaDB's InnoDB counter never goes back).

SQLite cannot alter a constraint: batch mode copies `users` into a new table, which is
only safe with foreign keys off (migrations/env.py turns them off for the run; dropping
the old table would otherwise apply every ON DELETE action of the tables pointing at it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

AUTHOR_COLUMNS = ("createdBy", "updatedBy")


def upgrade():
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actorId", sa.Integer(), nullable=True),
        sa.Column("subjectId", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("requestId", sa.String(length=128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"])
    op.create_index("ix_audit_events_actorId_id", "audit_events", ["actorId", "id"])
    op.create_index("ix_audit_events_subjectId_id", "audit_events", ["subjectId", "id"])
    op.create_index("ix_audit_events_createdAt", "audit_events", ["createdAt"])
    _replace_author_keys(ondelete="SET NULL")


def downgrade():
    _replace_author_keys(ondelete=None)
    op.drop_table("audit_events")


def _replace_author_keys(*, ondelete: str | None) -> None:
    # SQLite hands the largest rowid out again once its row is deleted: a new account
    # would take a deleted one's id, its audit trail and the old tokens naming that id.
    # AUTOINCREMENT (kept in sqlite_sequence) never reuses one; the copy picks it up.
    with op.batch_alter_table("users", recreate="auto",
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        for column in AUTHOR_COLUMNS:
            name = op.f(f"fk_users_{column}_users")
            batch_op.drop_constraint(name, type_="foreignkey")
            batch_op.create_foreign_key(name, "users", [column], ["id"], ondelete=ondelete)
