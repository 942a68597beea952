"""Pooled connections: no round trip a read-only request does not need, and a request
that wrote and failed is still rolled back (app/db_driver.py)."""

from __future__ import annotations

import pymysql
import pytest
from sqlalchemy import select

from app import create_app
from app.auth.tokens import issue_token_pair
from app.db_driver import LazyTransactionConnection, is_plain_read
from app.extensions import db as _db
from app.users.models import User


@pytest.mark.parametrize(("sql", "plain"), [
    (b"SELECT users.id FROM users WHERE users.id = 1", True),
    (b"  select 1", True),
    (b"SET NAMES utf8mb4", True),
    (b"SHOW VARIABLES LIKE 'sql_mode'", True),
    (b"SELECT formula, locksmith FROM t", True),  # the words, not the clauses
    (b"SELECT users.id FROM users WHERE users.id = 1 FOR UPDATE", False),
    (b"SELECT id FROM users FOR\n  SHARE", False),
    (b"SELECT id FROM users LOCK IN SHARE MODE", False),
    (b"select id from users for update skip locked", False),
    (b"INSERT INTO users (name) VALUES ('SELECT')", False),
    (b"UPDATE users SET name = 'x'", False),
    (b"SELECTED", False),
])
def test_only_plain_reads_run_outside_a_transaction(sql, plain):
    assert is_plain_read(sql) is plain


@pytest.fixture
def fresh_app(app, app_config):
    """A second app on the same database whose test client pushes its own app context
    per request, so Flask-SQLAlchemy's teardown and the pool's reset run as in production."""
    application = create_app(app_config)

    @application.post("/_test/write-then-fail")
    def write_then_fail():
        _db.session.add(User(name="Ghost", email="ghost@example.com", password_hash="x"))
        _db.session.flush()
        raise RuntimeError("failed after writing")

    @application.post("/_test/write-and-forget")
    def write_and_forget():
        # A bug-like path: writes, never commits; only the teardown can undo it.
        _db.session.add(User(name="Ghost", email="ghost@example.com", password_hash="x"))
        _db.session.flush()
        return {"flushed": True}

    yield application
    with application.app_context():
        _db.engine.dispose()


def ghost_count() -> int:
    _db.session.rollback()
    return len(_db.session.scalars(select(User).where(User.email == "ghost@example.com")).all())


@pytest.mark.parametrize("path, status", [("/_test/write-then-fail", 500),
                                          ("/_test/write-and-forget", 200)])
def test_a_request_that_wrote_and_did_not_commit_leaves_no_row(fresh_app, db, path, status):
    client = fresh_app.test_client()

    assert client.post(path).status_code == status

    assert ghost_count() == 0
    # The pooled connection carries no open transaction into its next use: committing on
    # it (as the next request that writes would) must not make the row appear.
    with fresh_app.app_context():
        connection = _db.session.connection().connection.dbapi_connection
        if isinstance(connection, LazyTransactionConnection):
            assert not connection.in_transaction
        _db.session.commit()
    assert ghost_count() == 0


@pytest.mark.parametrize("path", ["/_test/write-then-fail", "/_test/write-and-forget"])
def test_the_next_request_on_the_same_connection_is_not_blocked(fresh_app, db, users, path):
    client = fresh_app.test_client()
    client.post(path)
    author = users.create()
    token = issue_token_pair(author)["access_token"]

    # One pooled connection in turn: each request gets the one the failed request used.
    for _ in range(3):
        response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
    # The same email can be taken now: no uncommitted row holds its unique key.
    users.create(email="ghost@example.com")
    assert ghost_count() == 1


def test_a_read_only_request_is_one_round_trip_on_mariadb(fresh_app, users, db_kind,
                                                          monkeypatch):
    if db_kind != "mysql":
        pytest.skip("sqlite3 is in-process: its rollback outside a transaction does no I/O")
    author = users.create()
    token = issue_token_pair(author)["access_token"]
    client = fresh_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # connects
    sent: list = []
    original = pymysql.connections.Connection._execute_command

    def spy(self, command, sql):
        sent.append(sql)
        return original(self, command, sql)

    monkeypatch.setattr(pymysql.connections.Connection, "_execute_command", spy)
    response = client.get("/api/v1/auth/me", headers=headers)

    assert response.status_code == 200
    assert len(sent) == 1, sent  # the SELECT: no ping, no BEGIN, no ROLLBACK at teardown
    assert sent[0].lstrip().upper().startswith(b"SELECT")


def test_a_write_is_one_transaction_on_mariadb(fresh_app, user, db_kind, monkeypatch):
    if db_kind != "mysql":
        pytest.skip("the BEGIN rule is PyMySQL's; sqlite3 has its own, the same")
    client = fresh_app.test_client()
    headers = {"Authorization": f"Bearer {issue_token_pair(user)['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # connects
    sent: list = []
    original = pymysql.connections.Connection._execute_command

    def spy(self, command, sql):
        sent.append(sql if isinstance(sql, str) else sql.decode())
        return original(self, command, sql)

    monkeypatch.setattr(pymysql.connections.Connection, "_execute_command", spy)
    response = client.patch("/api/v1/auth/me", headers=headers, json={"name": "Renamed"})

    assert response.status_code == 200
    words = [statement.split()[0].upper() for statement in sent]
    # Lookup (autocommit read), then BEGIN before the locking read, the UPDATE, COMMIT.
    assert words[:2] == ["SELECT", "BEGIN"], sent
    assert "UPDATE" in words and words.index("COMMIT") > words.index("UPDATE")
    assert words.count("ROLLBACK") == 0
