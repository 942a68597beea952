"""Migration 0006 on a database holding data: audit_events, ON DELETE SET NULL, ids kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from tests.test_migrations import empty_database_url  # noqa: F401 - fixture

AUDIT_INDEXES = {("action", "id"), ("actorId", "id"), ("subjectId", "id"), ("createdAt",)}


@pytest.fixture
def at_0003(app_config, empty_database_url):  # noqa: F811 - the imported fixture
    """An app on a database migrated to 0003 only; yields its CLI runner."""
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    runner = fresh.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "0003"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        yield runner
        _db.session.remove()
        _db.engine.dispose()


def q(conn, sql: str) -> sa.TextClause:
    """Quote camelCase names for SQLite (MariaDB takes them bare)."""
    return sa.text(sql.replace("`", '"') if conn.dialect.name == "sqlite" else sql)


def seed(conn, tag: str = "") -> dict:
    now = conn.scalar(sa.select(sa.func.current_timestamp()))
    insert = q(conn, "INSERT INTO users (name, email, password, role, `createdBy`, "
                     "`updatedBy`, `createdAt`, `updatedAt`) "
                     "VALUES (:n, :e, 'x', 'admin', :by, :by, :now, :now)")
    admin = conn.execute(insert, {"n": "A", "e": f"a{tag}@x.org", "by": None,
                                  "now": now}).lastrowid
    user = conn.execute(insert, {"n": "B", "e": f"b{tag}@x.org", "by": admin,
                                 "now": now}).lastrowid
    image = conn.execute(q(conn, "INSERT INTO files (path, type, `originalName`, "
                                 "`modifiedName`, size, checksum, `ownerId`, `createdAt`) "
                                 "VALUES ('ab/cd/f.png', 'image/png', 'f.png', :m, 1, "
                                 "'0', :owner, :now)"),
                         {"owner": user, "now": now, "m": f"f{tag}.png"}).lastrowid
    conn.execute(q(conn, "UPDATE users SET `profileImageId` = :f WHERE id = :u"),
                 {"f": image, "u": user})
    return {"admin": admin, "user": user, "image": image}


def test_upgrade_keeps_every_row_and_link(at_0003):
    with _db.engine.begin() as conn:
        ids = seed(conn)

    result = at_0003.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with _db.engine.connect() as conn:
        user = conn.execute(q(conn, "SELECT * FROM users WHERE id = :u"),
                            {"u": ids["user"]}).mappings().one()
        owner = conn.scalar(q(conn, "SELECT `ownerId` FROM files WHERE id = :f"),
                            {"f": ids["image"]})
    assert (user["createdBy"], user["updatedBy"]) == (ids["admin"], ids["admin"])
    assert user["profileImageId"] == ids["image"]
    assert owner == ids["user"]


def test_deleting_a_user_nulls_created_by_and_updated_by(at_0003):
    with _db.engine.begin() as conn:
        ids = seed(conn)
    assert at_0003.invoke(args=["db", "upgrade"]).exit_code == 0
    keys = {fk["constrained_columns"][0]: fk
            for fk in sa.inspect(_db.engine).get_foreign_keys("users")}
    for column in ("createdBy", "updatedBy", "profileImageId"):
        assert keys[column]["options"].get("ondelete", "").upper() == "SET NULL"

    with _db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        conn.execute(sa.text("DELETE FROM users WHERE id = :a"), {"a": ids["admin"]})
    with _db.engine.connect() as conn:
        user = conn.execute(q(conn, "SELECT * FROM users WHERE id = :u"),
                            {"u": ids["user"]}).mappings().one()

    assert (user["createdBy"], user["updatedBy"]) == (None, None)


def test_audit_events_has_its_indexes_and_no_foreign_keys(at_0003):
    assert at_0003.invoke(args=["db", "upgrade"]).exit_code == 0
    inspector = sa.inspect(_db.engine)

    columns = {c["name"] for c in inspector.get_columns("audit_events")}
    indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("audit_events")}

    assert columns == {"id", "action", "actorId", "subjectId", "ip", "requestId", "details",
                       "createdAt"}
    assert indexes >= AUDIT_INDEXES
    assert inspector.get_foreign_keys("audit_events") == []


def test_a_deleted_user_id_is_not_reused(at_0003):
    assert at_0003.invoke(args=["db", "upgrade"]).exit_code == 0
    with _db.engine.begin() as conn:
        ids = seed(conn)
        conn.execute(q(conn, "UPDATE users SET `profileImageId` = NULL"))
        conn.execute(sa.text("DELETE FROM files"))
        conn.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": ids["user"]})
        again = seed(conn, tag="2")

    assert again["admin"] > ids["user"]


def test_downgrade_to_0003_keeps_the_rows(at_0003):
    with _db.engine.begin() as conn:
        ids = seed(conn)
    assert at_0003.invoke(args=["db", "upgrade"]).exit_code == 0

    result = at_0003.invoke(args=["db", "downgrade", "0003"])

    assert result.exit_code == 0, result.output
    assert "audit_events" not in sa.inspect(_db.engine).get_table_names()
    with _db.engine.connect() as conn:
        assert conn.scalar(q(conn, "SELECT `ownerId` FROM files")) == ids["user"]
