"""Fixtures: the app on a real database (SQLite file or a throw-away MariaDB database).

Run `pytest --db=mysql` to use MariaDB at MYSQL_TEST_URL (root@127.0.0.1:3306 by default);
each session creates its own database and drops it afterwards. A test (or module, with
`pytestmark`) marked `all_storage_backends` runs once on the local disk and once on S3
(moto's server over real HTTP); every other test runs on the local disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db as _db
from app.storage import current_storage
from tests import live_server as live_server_module
from tests.app_cache import KeptApps, empty_tables
from tests.browser import artifacts_dir, chromium  # noqa: F401 - fixtures for every package
from tests.factories import UserFactory
from tests.helpers import S3_SETTINGS
from tests.live_server import free_port

MYSQL_SERVER_URL = os.environ.get("MYSQL_TEST_URL", "mysql+pymysql://root@127.0.0.1:3306")
STORAGE_BACKENDS = ("local", "s3")
MOTO_SERVER = Path(sys.executable).with_name("moto_server")
# tmpfs on Linux (a container's default 64 MB is too small); mkdtemp makes a private folder.
MEMORY_TMP = Path("/dev/shm")  # noqa: S108
MEMORY_TMP_MIN_FREE = 4 * 1024**3
MEMORY_BASETEMP = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Each commit of the SQLite file and each mail file is an fsync: on a disk that is most
    # of the suite's time. The run's temporary folder (database, uploads, mail, server logs,
    # Galera's data) goes to memory when the machine has room there; `--basetemp` wins.
    if config.option.basetemp or hasattr(config, "workerinput"):
        return  # xdist workers get a folder inside the main process's
    if (MEMORY_TMP.is_dir() and os.access(MEMORY_TMP, os.W_OK)
            and shutil.disk_usage(MEMORY_TMP).free >= MEMORY_TMP_MIN_FREE):
        config.option.basetemp = tempfile.mkdtemp(prefix="signet-tests-", dir=MEMORY_TMP)
        config.stash[MEMORY_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config):
    # Memory is not a disk to leave old runs on (pytest keeps three of those).
    if path := config.stash.get(MEMORY_BASETEMP, None):
        shutil.rmtree(path, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # A server started by a test not marked as such would slip into `make test-fast`.
    live_server_module.MARKED_LIVE = any(
        item.get_closest_marker(name) for name in ("live", "cluster"))


def pytest_collection_modifyitems(items):
    # Parametrized tests alternate local, s3, local, ...: each switch builds another app.
    # Within a module the local runs go first, then the s3 runs, so switches are rare.
    def storage_order(item) -> int:
        params = getattr(item, "callspec", None)
        return 1 if params and params.params.get("storage_backend") == "s3" else 0

    modules: dict = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    items[:] = [item for group in modules.values()
                for item in sorted(group, key=storage_order)]


def pytest_generate_tests(metafunc):
    if ("storage_backend" not in metafunc.fixturenames
            or not metafunc.definition.get_closest_marker("all_storage_backends")):
        return
    # A test that names its own backends (`parametrize("storage_backend", ...)`) keeps them.
    if any("storage_backend" in marker.args[0]
           for marker in metafunc.definition.iter_markers("parametrize")):
        return
    metafunc.parametrize("storage_backend", STORAGE_BACKENDS, indirect=True)


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
def throwaway_mysql_database(prefix: str, server_url: str = MYSQL_SERVER_URL) -> Iterator[str]:
    """Create an empty utf8mb4 database on the MariaDB server, yield its URL, drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield f"{server_url}/{name}?charset=utf8mb4"
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()


def _migrate(url: str) -> None:
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def worker_dir(tmp_path_factory) -> Path:
    """This pytest process's folder for uploads and mail: the shared app's paths stay fixed."""
    return tmp_path_factory.mktemp("worker")


@pytest.fixture
def upload_dir(worker_dir) -> Path:
    """The upload folder of this test (empty at start; its sibling `mail` is emptied too)."""
    path = worker_dir / "uploads"
    for folder in (path, worker_dir / "mail"):
        _remove(folder)
    path.mkdir()
    return path


def _remove(path: Path) -> None:
    """Remove what a test left at `path`: a folder, possibly read-only, or a file in its place."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        def writable_then_retry(function, name, _error):
            Path(name).parent.chmod(0o700)
            function(name)

        path.chmod(0o700)
        shutil.rmtree(path, onerror=writable_then_retry)


@pytest.fixture
def app_config(database_url, upload_dir, storage_backend, s3_bucket, request) -> dict:
    """Settings of the app under test; tests may edit it before `app` is built."""
    config = {
        "APP_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(upload_dir),
        "BCRYPT_LOG_ROUNDS": 4,
        "RATELIMIT_ENABLED": False,
        "STORAGE_BACKEND": storage_backend,
        # Tests deliver explicitly (deliver_due, `flask mail send-pending`); live servers
        # run the delivery thread as production does.
        "MAIL_DELIVERY_THREAD": False,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(upload_dir.parent / "mail"),
    }
    if storage_backend == "s3":
        config.update(S3_SETTINGS, S3_BUCKET=s3_bucket,
                      S3_ENDPOINT_URL=request.getfixturevalue("s3_endpoint"))
    return config


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's standalone S3 server on a free local port, for the whole session."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {process.returncode}")
            try:
                requests.get(url, timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or listening but still importing on a busy machine.
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start in time") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def storage_backend(request) -> str:
    """The storage backend of this test: local, or each backend under the marker."""
    return getattr(request, "param", "local")


@pytest.fixture(scope="session")
def s3_admin_client(s3_endpoint):
    """One S3 client for the session (building a client costs a quarter of a second)."""
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=S3_SETTINGS["S3_REGION"],
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def worker_bucket_name() -> str:
    """The bucket this pytest process's s3 tests use, one after another."""
    return f"signet-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3_bucket(storage_backend, request) -> str | None:
    """An empty bucket on the moto server when the backend is s3.

    Every s3 test of a process gets the same bucket, emptied (or made again, when a test
    deleted it) before the test: the same settings let the next test reuse the app and
    its S3 client, which cost ~0.3 s to build.
    """
    if storage_backend != "s3":
        return None
    name = request.getfixturevalue("worker_bucket_name")
    _empty_bucket(request.getfixturevalue("s3_admin_client"), name)
    return name


def _empty_bucket(client, name: str) -> None:
    """Make `name` an existing bucket without objects."""
    try:
        pages = list(client.get_paginator("list_objects_v2").paginate(Bucket=name))
    except client.exceptions.NoSuchBucket:
        client.create_bucket(Bucket=name)
        return
    keys = [{"Key": item["Key"]} for page in pages for item in page.get("Contents", [])]
    for start in range(0, len(keys), 1000):  # the most one request may delete
        client.delete_objects(Bucket=name, Delete={"Objects": keys[start:start + 1000]})


@pytest.fixture
def app(app_config):
    """The application, inside an app context; all rows are removed afterwards.

    Building the app costs ~70 ms (far more on a busy machine), so a pytest process keeps
    the apps it built, by settings, and hands one to the next test with the same settings,
    reset to how it was built.
    """
    application = KeptApps.get(app_config)
    with application.app_context():
        try:
            yield application
        finally:
            try:
                _db.session.remove()
                empty_tables()
            finally:
                KeptApps.release(application)


@pytest.fixture
def blobs(app):
    """`blobs()` lists the keys the storage backend holds, whatever it is."""

    def keys() -> set[str]:
        return {blob.key for blob in current_storage().list_blobs()}

    return keys


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


@pytest.fixture(scope="module")
def module_servers():
    """gunicorn servers a module's tests share (`live_server(..., shared=True)`)."""
    servers: dict = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def live_server(app_config, module_servers):
    """Start gunicorn on the test database: `live_server(workers=4, env={...}, output=path)`.

    With `shared=True` a server started with the same workers and environment earlier in
    the module (and still running) is reused: for tests that leave nothing behind in the
    server's processes (no in-memory limits, no output file to read).
    """
    from tests.live_server import LiveServer

    started: list[LiveServer] = []

    def start(*, workers: int = 4, env: dict | None = None, output=None,
              shared: bool = False, timeout: float = 60.0) -> LiveServer:
        base = {
            "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_FOLDER": app_config["UPLOAD_FOLDER"],
            "RATELIMIT_ENABLED": "false",
            "MAIL_BACKEND": app_config["MAIL_BACKEND"],
            "MAIL_FILE_DIR": app_config["MAIL_FILE_DIR"],
        }
        environment = {**base, **(env or {})}
        if shared:
            assert output is None, "a shared server's output belongs to no single test"
            key = (workers, tuple(sorted(environment.items())))
            server = module_servers.get(key)
            if server is None or server.process.poll() is not None:
                server = module_servers[key] = LiveServer(environment, workers=workers).start(
                    timeout=timeout)
            return server
        server = LiveServer(environment, workers=workers, output=output).start(timeout=timeout)
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
