"""indexes for the admin user list

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

GET /users pages newest first by id, filtered by role or isActive and searched by a
prefix of name or email: (role, id) and (isActive, id) serve the filtered keyset scans,
name gets its own index for the prefix search (email already has its unique index).
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_users_name"), "users", ["name"], unique=False)
    op.create_index(op.f("ix_users_role_id"), "users", ["role", "id"], unique=False)
    op.create_index(op.f("ix_users_isActive_id"), "users", ["isActive", "id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_users_isActive_id"), table_name="users")
    op.drop_index(op.f("ix_users_role_id"), table_name="users")
    op.drop_index(op.f("ix_users_name"), table_name="users")
