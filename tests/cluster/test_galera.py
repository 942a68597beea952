"""Three real Galera nodes: bootstrap, a certification conflict retried, a rejoin by IST.

Brought up by the supervisor's code (deploy/galera_cluster.py) on free loopback ports in
a temporary directory, once for the module; about a minute and a half, most of it the two
joiners' SSTs (mariabackup sleeps 10 s on the donor). Marked `cluster`; runs in the
MariaDB pass of `make test` (`-m "not cluster"` leaves it out).
"""

from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import create_app
from app.account.password import change_password
from app.audit.models import AuditEvent
from app.extensions import db
from app.settings import replace_settings
from app.users.models import User
from deploy.galera import APP_PASSWORD, APP_USER, NodePorts
from deploy.galera_cluster import GaleraCluster
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.live_server import free_ports

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("galera")]
NEW_PASSWORD = "another horse battery staple"
FULL_COPY = "Proceeding with SST"
TOOLS = ("mariadbd", "mariabackup", "socat")


def node_url(cluster: GaleraCluster, number: int) -> str:
    port = cluster.node(number).ports.client
    return (f"mysql+pymysql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{port}/"
            f"{cluster.database}?charset=utf8mb4")


@pytest.fixture(scope="module")
def galera(db_kind, tmp_path_factory):
    """Three nodes bootstrapped and synced, with Signet's schema migrated on node 1."""
    if db_kind != "mysql":
        pytest.skip("The Galera cluster runs in the MariaDB pass (pytest --db=mysql).")
    missing = [tool for tool in TOOLS if not (shutil.which(tool) or os.path.exists(
        f"/usr/sbin/{tool}"))]
    if missing or not os.path.exists("/usr/lib/galera/libgalera_smm.so"):
        message = f"Galera is not installed (missing {missing or 'galera-4'}; make ha-packages)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI requires it.")
        pytest.skip(message)
    # Twelve distinct ports: free_port() called twelve times can hand out one twice (two
    # nodes then fight over a gcomm port, as a CI run showed).
    free = iter(free_ports(12))
    ports = [NodePorts(*(next(free) for _ in range(4))) for _ in range(3)]
    cluster = GaleraCluster(tmp_path_factory.mktemp("galera"), ports, "signet_galera")
    try:
        cluster.start()
        app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": node_url(cluster, 1),
                          "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads"))})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            db.engine.dispose()
        yield cluster
    finally:
        cluster.stop()


def test_three_nodes_bootstrap_into_one_synced_cluster(galera):
    for node in galera.nodes:
        assert node.status("wsrep_cluster_size") == "3"
        assert node.status("wsrep_local_state_comment") == "Synced"
    tables = galera.node(3).sql(f"SHOW TABLES FROM {galera.database}").split()
    assert "users" in tables  # the schema migrated on node 1 reached node 3


@pytest.fixture
def app_on_node1(galera, tmp_path):
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": node_url(galera, 1),
                      "UPLOAD_FOLDER": str(tmp_path), "BCRYPT_LOG_ROUNDS": 4,
                      "MAIL_DELIVERY_THREAD": False, "MAIL_BACKEND": "file",
                      "MAIL_FILE_DIR": str(tmp_path / "mail"), "DB_RETRY_ATTEMPTS": 3})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def conflict_on_node2_at_first_commit(galera) -> dict:
    """Before node 1's first COMMIT goes out, node 2 commits a write to the same user row."""
    other = sa.create_engine(node_url(galera, 2))
    state = {"commits": 0}

    def before_commit(_connection) -> None:
        state["commits"] += 1
        if state["commits"] == 1:
            with other.begin() as conn:
                conn.execute(sa.text("UPDATE users SET name = 'Renamed on node 2' "
                                     "WHERE id = :id"), {"id": state["user_id"]})

    event.listen(db.engine, "commit", before_commit)
    state["stop"] = lambda: (event.remove(db.engine, "commit", before_commit), other.dispose())
    return state


def test_a_certification_conflict_is_retried_into_one_success(galera, app_on_node1):
    user = UserFactory().create(email="conflict@example.com")
    version = user.token_version
    state = conflict_on_node2_at_first_commit(galera)
    state["user_id"] = user.id
    try:
        with app_on_node1.test_request_context():
            change_password(user=user, current_password=DEFAULT_PASSWORD,
                            new_password=NEW_PASSWORD)
    finally:
        state["stop"]()

    assert state["commits"] == 2  # node 1's first COMMIT lost certification; one retry won
    # wsrep_sync_wait: node 3 first applies what the cluster committed (a causal read).
    row = galera.node(3).sql(
        "SET SESSION wsrep_sync_wait = 1; "
        f"SELECT name, tokenVersion FROM users WHERE id = {user.id:d}", database=galera.database)
    assert row.split("\t") == ["Renamed on node 2", str(version + 1)]  # both writes, once
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.password_changed", AuditEvent.subject_id == user.id))
    assert events == 1


def test_without_retries_the_loser_sees_the_conflict(galera, app_on_node1):
    replace_settings(app_on_node1, DB_RETRY_ATTEMPTS=1)
    user = UserFactory().create(email="no-retry@example.com")
    state = conflict_on_node2_at_first_commit(galera)
    state["user_id"] = user.id
    try:
        with app_on_node1.test_request_context(), pytest.raises(sa.exc.OperationalError) as error:
            change_password(user=user, current_password=DEFAULT_PASSWORD,
                            new_password=NEW_PASSWORD)
    finally:
        state["stop"]()
    assert error.value.orig.args[0] == 1213
    assert db.session.get(User, user.id, populate_existing=True).token_version == 0


def test_a_killed_node_rejoins_by_ist_with_what_it_missed(galera):
    node3 = galera.node(3)
    ists_before = node3.error_log.read_text().count("IST received")
    # A full copy logs "Proceeding with SST" (the joiner clears its data dir for it).
    ssts_before = node3.error_log.read_text().count(FULL_COPY)
    galera.kill(3)
    galera.node(1).sql(f"INSERT INTO {galera.database}.audit_events "
                       "(action, details, createdAt) "
                       "VALUES ('test.while_node3_was_down', '{}', NOW())")

    galera.restart(3)

    log = node3.error_log.read_text()
    assert log.count("IST received") == ists_before + 1
    assert log.count(FULL_COPY) == ssts_before  # no full copy
    assert node3.status("wsrep_cluster_size") == "3"
    assert node3.sql(f"SELECT COUNT(*) FROM {galera.database}.audit_events "
                     "WHERE action = 'test.while_node3_was_down'") == "1"
