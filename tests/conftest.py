"""Fixtures: the app on a real database (SQLite file or a throw-away MariaDB database).

Run `pytest --db=mysql` to use MariaDB at MYSQL_TEST_URL (root@127.0.0.1:3306 by default);
each session creates its own database and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db as _db
from tests.factories import UserFactory

MYSQL_SERVER_URL = os.environ.get("MYSQL_TEST_URL", "mysql+pymysql://root@127.0.0.1:3306")
TABLES_IN_DELETE_ORDER = ("revoked_tokens", "files", "users")


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "mysql"), default="sqlite",
                     help="database to run the suite against")


def pytest_report_header(config):
    return f"signet database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request) -> str:
    """'sqlite' or 'mysql'."""
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def database_url(db_kind, tmp_path_factory):
    """A migrated, empty database for this test session."""
    if db_kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'signet-test.db'}"
        _migrate(url)
        yield url
        return
    with throwaway_mysql_database("signet_test") as url:
        _migrate(url)
        yield url


@contextmanager
def throwaway_mysql_database(prefix: str) -> Iterator[str]:
    """Create an empty utf8mb4 database on the MariaDB server, yield its URL, drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield f"{MYSQL_SERVER_URL}/{name}?charset=utf8mb4"
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


def _migrate(url: str) -> None:
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture
def upload_dir(tmp_path):
    """The upload folder of this test (empty at start)."""
    path = tmp_path / "uploads"
    path.mkdir()
    return path


@pytest.fixture
def app_config(database_url, upload_dir) -> dict:
    """Settings of the app under test; tests may edit it before `app` is built."""
    return {
        "APP_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(upload_dir),
        "BCRYPT_LOG_ROUNDS": 4,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config):
    """The application, inside an app context; all rows are removed afterwards."""
    application = create_app(app_config)
    with application.app_context():
        yield application
        _db.session.remove()
        _truncate()
        _db.engine.dispose()


def _truncate() -> None:
    with _db.engine.begin() as conn:
        if conn.dialect.name == "mysql":
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        else:
            conn.execute(sa.text('UPDATE users SET "profileImageId" = NULL'))
        for table in TABLES_IN_DELETE_ORDER:
            conn.execute(sa.text(f"DELETE FROM {table}"))
        if conn.dialect.name == "mysql":
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def db(app):
    """The Flask-SQLAlchemy object, bound to the test database."""
    return _db


@pytest.fixture
def users(app):
    """Factory for users: `users.create(role=..., is_active=..., password=...)`."""
    return UserFactory()


@pytest.fixture
def user(users):
    """An active regular user (password `correct horse battery`)."""
    return users.create(name="Ada Lovelace", email="ada@example.com")


@pytest.fixture
def admin(users):
    """An active admin (password `correct horse battery`)."""
    return users.create(name="Grace Hopper", email="grace@example.com", role="admin")


@pytest.fixture
def auth_headers(app):
    """Build `Authorization` headers for a user: `auth_headers(user)`."""
    from app.auth.tokens import issue_token_pair

    def build(account) -> dict:
        return {"Authorization": f"Bearer {issue_token_pair(account)['access_token']}"}

    return build


@pytest.fixture
def live_server(app_config):
    """Start gunicorn on the test database: `live_server(workers=4, env={...})`."""
    from tests.live_server import LiveServer

    started: list[LiveServer] = []

    def start(*, workers: int = 4, env: dict | None = None) -> LiveServer:
        base = {
            "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_FOLDER": app_config["UPLOAD_FOLDER"],
            "RATELIMIT_ENABLED": "false",
        }
        server = LiveServer({**base, **(env or {})}, workers=workers).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def redis_prefix():
    """A key prefix unique to this test on the local Redis; its keys are deleted after."""
    import redis

    prefix = f"signet-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    # Flask-Limiter puts its own namespace before the prefix, hence the leading wildcard.
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
