"""`flask db upgrade` on an empty database gives the contract schema; `db check` is clean."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from tests.conftest import throwaway_mysql_database

USERS_COLUMNS = {"id", "name", "email", "password", "isActive", "role", "profileImageId",
                 "createdBy", "updatedBy", "createdAt", "updatedAt"}
FILES_COLUMNS = {"id", "path", "type", "originalName", "modifiedName", "size", "ownerId",
                 "checksum", "createdAt"}


@pytest.fixture
def empty_database_url(db_kind, tmp_path):
    """A database with no tables at all, of the kind this session runs on."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with throwaway_mysql_database("signet_mig") as url:
        yield url


@pytest.fixture
def migrated(app_config, empty_database_url):
    """An app on the empty database after `flask db upgrade`; yields (app, cli runner)."""
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    runner = fresh.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        yield fresh, runner
        _db.session.remove()
        _db.engine.dispose()


def test_db_check_reports_no_drift(migrated):
    _app, runner = migrated

    result = runner.invoke(args=["db", "check"])

    assert result.exit_code == 0, result.output


def test_users_table_has_the_contract_columns(migrated):
    columns = {c["name"]: c for c in sa.inspect(_db.engine).get_columns("users")}

    assert set(columns) >= USERS_COLUMNS
    assert "password_hash" not in columns
    for name in ("name", "email"):
        assert columns[name]["type"].length == 255
        assert columns[name]["nullable"] is False
    for name in ("profileImageId", "createdBy", "updatedBy"):
        assert columns[name]["nullable"] is True
    if _db.engine.dialect.name == "mysql":
        assert set(columns["role"]["type"].enums) == {"admin", "user"}


def test_users_email_has_a_unique_index(migrated):
    indexes = sa.inspect(_db.engine).get_indexes("users")

    assert any(ix["column_names"] == ["email"] and ix["unique"] for ix in indexes)


def test_users_foreign_keys(migrated):
    keys = {tuple(fk["constrained_columns"]): fk
            for fk in sa.inspect(_db.engine).get_foreign_keys("users")}

    image = keys[("profileImageId",)]
    assert image["referred_table"] == "files" and image["referred_columns"] == ["id"]
    assert image["options"].get("ondelete", "").upper() == "SET NULL"
    for column in ("createdBy", "updatedBy"):
        assert keys[(column,)]["referred_table"] == "users"


def test_files_table_has_the_contract_columns(migrated):
    inspector = sa.inspect(_db.engine)
    columns = {c["name"] for c in inspector.get_columns("files")}
    unique = [c["column_names"] for c in inspector.get_unique_constraints("files")]
    unique += [ix["column_names"] for ix in inspector.get_indexes("files") if ix["unique"]]

    assert columns >= FILES_COLUMNS
    assert ["modifiedName"] in unique


def test_deleting_a_file_row_nulls_the_profile_image(migrated):
    # The real ON DELETE SET NULL of the migrated schema, not the ORM's doing.
    now = sa.func.current_timestamp()
    with _db.engine.begin() as conn:
        user_id = conn.execute(sa.text(
            "INSERT INTO users (name, email, password, role, createdAt, updatedAt) "
            "VALUES ('A', 'a@example.com', 'x', 'user', :now, :now)"),
            {"now": conn.scalar(sa.select(now))}).lastrowid
        file_id = conn.execute(sa.text(
            "INSERT INTO files (path, type, originalName, modifiedName, size, checksum, "
            "ownerId, createdAt) VALUES ('ab/cd/x.png', 'image/png', 'x.png', 'x.png', 1, "
            "'0', :owner, :now)"),
            {"owner": user_id, "now": conn.scalar(sa.select(now))}).lastrowid
        conn.execute(sa.text('UPDATE users SET "profileImageId" = :f WHERE id = :u'
                             if conn.dialect.name == "sqlite" else
                             "UPDATE users SET profileImageId = :f WHERE id = :u"),
                     {"f": file_id, "u": user_id})
    with _db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM files WHERE id = :f"), {"f": file_id})
        image_id = conn.execute(sa.text("SELECT * FROM users WHERE id = :u"),
                                {"u": user_id}).mappings().one()["profileImageId"]

    assert image_id is None


def test_downgrade_to_base_and_upgrade_again(migrated):
    _app, runner = migrated

    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    assert "users" not in sa.inspect(_db.engine).get_table_names()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_email_tokens_table_and_users_email_verified_at(migrated):
    inspector = sa.inspect(_db.engine)
    users = {c["name"]: c for c in inspector.get_columns("users")}
    tokens = {c["name"]: c for c in inspector.get_columns("email_tokens")}

    assert users["emailVerifiedAt"]["nullable"] is True
    assert set(tokens) == {"id", "tokenHash", "purpose", "userId", "email", "tokenVersion",
                           "expiresAt", "usedAt", "createdAt"}
    assert tokens["usedAt"]["nullable"] is True and tokens["tokenHash"]["nullable"] is False
    [user_fk] = inspector.get_foreign_keys("email_tokens")
    assert user_fk["referred_table"] == "users" and user_fk["constrained_columns"] == ["userId"]
    assert user_fk["options"].get("ondelete", "").upper() == "CASCADE"
    unique = inspector.get_unique_constraints("email_tokens") + [
        ix for ix in inspector.get_indexes("email_tokens") if ix["unique"]]
    assert any(u["column_names"] == ["tokenHash"] for u in unique)


def test_0008_backfills_storage_used_from_the_files_each_user_owns(migrated):
    _app, runner = migrated
    assert runner.invoke(args=["db", "downgrade", "0003"]).exit_code == 0
    now = sa.func.current_timestamp()
    with _db.engine.begin() as conn:
        stamp = conn.scalar(sa.select(now))
        owners = [conn.execute(sa.text(
            "INSERT INTO users (name, email, password, role, createdAt, updatedAt) "
            "VALUES ('A', :email, 'x', 'user', :now, :now)"),
            {"email": f"{n}@example.com", "now": stamp}).lastrowid for n in ("a", "b")]
        for index, size in enumerate((100, 23)):
            conn.execute(sa.text(
                "INSERT INTO files (path, type, originalName, modifiedName, size, checksum, "
                "ownerId, createdAt) VALUES ('k', 'text/plain', 'x', :name, :size, '0', "
                ":owner, :now)"),
                {"name": f"x{index}", "size": size, "owner": owners[0], "now": stamp})

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    with _db.engine.connect() as conn:
        used = dict(conn.execute(sa.text("SELECT id, storageUsed FROM users")).all())
    assert used == {owners[0]: 123, owners[1]: 0}
