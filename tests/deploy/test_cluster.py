"""The production topology, live: nginx in front of two instances on MariaDB, Redis and S3.

Brought up by the same code as `make cluster` (deploy/cluster.py) on free ports, once for
the module. MariaDB only: the instances share one database server, as in production.
Instances are reached directly (A, B) and through nginx. Logins go to an instance
directly with an X-Forwarded-For address of their own (TRUSTED_PROXY_COUNT=1 trusts one
hop), so the tight login limit of this module is spent only where a test means it.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
import sqlalchemy as sa

from deploy.cluster import Cluster, ClusterSpec
from tests.conftest import throwaway_mysql_database
from tests.factories import image_bytes
from tests.live_server import free_port

pytestmark = [pytest.mark.xdist_group("cluster"), pytest.mark.cluster]
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery"
_addresses = itertools.count(1)


def fresh_ip() -> str:
    """A client address no other request of this module uses."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


@pytest.fixture(scope="module")
def database(db_kind, request):
    """A throw-away MariaDB database for the cluster (created and migrated by it)."""
    if db_kind != "mysql":
        pytest.skip("The cluster runs on MariaDB only (pytest --db=mysql runs it).")
    request.getfixturevalue("nginx")  # skipped without nginx, failed under CI=true
    with throwaway_mysql_database("signet_cluster") as url:
        yield url


@pytest.fixture(scope="module")
def redis_prefix():
    """A Redis key prefix for this module; its keys are deleted afterwards."""
    prefix = f"signet-cluster-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def start_cluster(tmp_path_factory, database: str, prefix: str, storage: str,
                  workers: int) -> Cluster:
    spec = ClusterSpec(
        workdir=tmp_path_factory.mktemp(f"cluster-{storage}"), database_url=database,
        http_port=free_port(), instance_ports=(free_port(), free_port()),
        s3_port=free_port(), storage=storage, redis_prefix=prefix, workers=workers,
        env={"BCRYPT_LOG_ROUNDS": "4", "LOGIN_RATE_LIMIT": "5 per minute",
             "GUNICORN_ACCESSLOG": "", "GUNICORN_GRACEFUL_TIMEOUT": "20"},
        # Every request through nginx comes from 127.0.0.1: the loops below would spend
        # production's per-address request rate (its sign-in and mail zones stay).
        site={"request_rate": "10000r/s", "request_burst": 10000})
    return Cluster(spec)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, database, redis_prefix):
    """Local storage in one shared upload folder, downloads through X-Accel-Redirect."""
    # Two workers an instance: four in all, far fewer than the 50 slow sockets below.
    with start_cluster(tmp_path_factory, database, redis_prefix, "local", 2) as running:
        yield running


@pytest.fixture(scope="module")
def s3_cluster(tmp_path_factory, database, redis_prefix):
    """The same topology on S3 (moto), downloads by presigned redirect."""
    with start_cluster(tmp_path_factory, database, redis_prefix, "s3", 1) as running:
        yield running


def register_and_login(base: str) -> tuple[str, dict]:
    """A new account, signed in through `base`; returns (email, token pair)."""
    email = f"u{uuid.uuid4().hex[:10]}@example.com"
    created = requests.post(f"{base}/api/v1/auth/register", timeout=20,
                            headers={"X-Forwarded-For": fresh_ip()},
                            json={"name": "Node Test", "email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return email, login(base, email)


def login(base: str, email: str) -> dict:
    response = requests.post(f"{base}/api/v1/auth/login", timeout=20,
                             headers={"X-Forwarded-For": fresh_ip()},
                             json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def upload(base: str, tokens: dict, data: bytes, name: str) -> dict:
    response = requests.post(f"{base}/api/v1/files", headers=bearer(tokens), timeout=30,
                             files={"file": (name, data)})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_token_issued_by_one_instance_works_on_the_other(cluster):
    a, b = (instance.url for instance in cluster.instances)
    email, tokens = register_and_login(a)

    for base in (b, a, cluster.url, cluster.url):
        me = requests.get(f"{base}/api/v1/auth/me", headers=bearer(tokens), timeout=10)
        assert me.status_code == 200, (base, me.text)
        assert me.json()["email"] == email


def test_logout_on_one_instance_is_refused_on_the_other(cluster):
    a, b = (instance.url for instance in cluster.instances)
    _, tokens = register_and_login(a)
    assert requests.get(f"{b}/api/v1/auth/me", headers=bearer(tokens),
                        timeout=10).status_code == 200

    assert requests.post(f"{a}/api/v1/auth/logout", headers=bearer(tokens),
                         timeout=10).status_code == 204

    for base in (b, a, cluster.url, cluster.url):
        assert requests.get(f"{base}/api/v1/auth/me", headers=bearer(tokens),
                            timeout=10).status_code == 401, base


def test_a_local_file_uploaded_on_one_instance_downloads_from_the_other(cluster):
    a, b = (instance.url for instance in cluster.instances)
    _, tokens = register_and_login(a)
    data = image_bytes("PNG") + os.urandom(300_000)  # detected as PNG, 300 KB of noise
    body = upload(a, tokens, data, "photo.png")
    content = f"/api/v1/files/{body['id']}/content"

    direct = requests.get(f"{b}{content}", headers=bearer(tokens), timeout=10)
    assert direct.status_code == 200
    assert direct.headers["X-Accel-Redirect"].startswith("/_signet_files/")
    assert direct.content == b""

    for _ in range(2):  # round robin: one download through each instance
        through = requests.get(f"{cluster.url}{content}", timeout=10,
                               headers={**bearer(tokens), "X-Request-ID": "cluster-dl"})
        assert through.status_code == 200
        assert through.content == data
        assert "X-Accel-Redirect" not in through.headers
        assert through.headers["Content-Type"] == "image/png"
        assert through.headers["Content-Disposition"] == "inline; filename=photo.png"
        assert through.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        assert through.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in through.headers["Content-Security-Policy"]
        assert through.headers["X-Request-ID"] == "cluster-dl"

    ranged = requests.get(f"{cluster.url}{content}", timeout=10,
                          headers={**bearer(tokens), "Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.content == data[100:200]
    unchanged = requests.get(f"{cluster.url}{content}", timeout=10,
                             headers={**bearer(tokens), "If-None-Match": through.headers["ETag"]})
    assert unchanged.status_code == 304
    assert requests.get(f"{cluster.url}{content}", timeout=10).status_code == 401
    assert requests.get(f"{cluster.url}/_signet_files/", timeout=10).status_code == 404


def test_an_s3_file_uploaded_on_one_instance_downloads_from_the_other(s3_cluster):
    a, b = (instance.url for instance in s3_cluster.instances)
    _, tokens = register_and_login(a)
    data = b"%PDF-1.4\n" + os.urandom(200_000) + b"\n%%EOF\n"
    body = upload(a, tokens, data, "report.pdf")
    content = f"/api/v1/files/{body['id']}/content"

    for base in (b, s3_cluster.url, s3_cluster.url):
        redirect = requests.get(f"{base}{content}", headers=bearer(tokens), timeout=10,
                                allow_redirects=False)
        assert redirect.status_code == 302, base
        assert redirect.headers["Location"].startswith(s3_cluster.s3_url)
        fetched = requests.get(redirect.headers["Location"], timeout=10)
        assert fetched.status_code == 200
        assert fetched.content == data
        assert fetched.headers["Content-Type"] == "application/pdf"


def test_the_login_limit_counts_across_both_instances(cluster):
    a, b = (instance.url for instance in cluster.instances)
    address = fresh_ip()

    statuses = [
        requests.post(f"{base}/api/v1/auth/login", timeout=10,
                      headers={"X-Forwarded-For": address},
                      json={"email": f"nobody{n}@example.com", "password": "wrong!"}).status_code
        for n, base in enumerate([a, b] * 4)
    ]

    # Per instance (memory store) each would allow 5: eight attempts would all be 401.
    assert statuses == [401] * 5 + [429] * 3
    # Through nginx a forged X-Forwarded-For does not pick a fresh bucket: nginx appends
    # the real peer (127.0.0.1) and the app trusts that one hop only.
    through = [
        requests.post(f"{cluster.url}/api/v1/auth/login", timeout=10,
                      headers={"X-Forwarded-For": fresh_ip()},
                      json={"email": f"forger{n}@example.com", "password": "wrong!"}
                      ).status_code
        for n in range(6)
    ]
    assert through == [401] * 5 + [429]


def test_a_sign_in_flood_through_nginx_is_429_problem_json_from_both_layers(cluster):
    # From 127.0.0.3 (the loopback is a /8): budgets of its own in nginx and in Signet.
    answers = []
    for n in range(14):
        connection = http.client.HTTPConnection("127.0.0.1", cluster.spec.http_port,
                                                timeout=10, source_address=("127.0.0.3", 0))
        connection.request("POST", "/api/v1/auth/login", headers={
            "Content-Type": "application/json"}, body=json.dumps(
                {"email": f"flood{n}@example.com", "password": "wrong!"}))
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Content-Type"),
                        response.getheader("Retry-After"), json.loads(response.read())))
        connection.close()

    statuses = [status for status, *_ in answers]
    # Signet's limit (5 a minute here) answers first; nginx's zone (a burst of 10 above
    # 30 a minute) refuses the rest before an instance sees them. Both speak problem+json.
    assert statuses == [401] * 5 + [429] * 9
    signet_429, nginx_429 = answers[5], answers[-1]
    assert "sign-in attempts" not in signet_429[3]["detail"]
    assert nginx_429[1] == "application/problem+json"
    assert nginx_429[2] == "2"
    assert nginx_429[3]["status"] == 429
    assert "Too many sign-in attempts from your address" in nginx_429[3]["detail"]
    assert signet_429[1] == "application/problem+json" and signet_429[2]


def test_fifty_slowloris_sockets_leave_healthz_answering(cluster):
    stop = threading.Event()
    sockets = [socket.create_connection(("127.0.0.1", cluster.spec.http_port))
               for _ in range(50)]
    request = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Padding: " + b"a" * 100

    refused: list[OSError] = []

    def drip() -> None:  # one header byte a second on every socket
        for byte in request:
            for sock in sockets:
                try:
                    sock.send(bytes([byte]))
                except OSError as error:  # nginx hung up: the attack would be no test
                    refused.append(error)
            if stop.wait(1):
                return

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    timings = []
    try:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = requests.get(f"{cluster.url}/healthz", timeout=1)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200
            time.sleep(0.2)
    finally:
        stop.set()
        dripper.join()
        for sock in sockets:
            sock.close()
    assert not refused, refused
    assert len(timings) >= 10
    assert max(timings) < 1.0, timings


def test_killing_an_instance_fails_no_read_and_loses_no_committed_row(cluster, database):
    a, b = cluster.instances
    emails, files = [], []
    for _ in range(3):  # committed on B before it dies: 201 was answered
        email, tokens = register_and_login(b.url)
        emails.append(email)
    for n in range(3):
        files.append(upload(b.url, tokens, f"row {n}\n".encode(), f"n{n}.txt")["id"])
    headers = bearer(tokens)
    urls = [f"{cluster.url}/api/v1/auth/me", f"{cluster.url}/api/v1/files/{files[-1]}"]
    stop = threading.Event()

    def read_loop(url: str) -> list[tuple[float, int]]:
        answers = []
        while not stop.is_set():
            status = requests.get(url, headers=headers, timeout=10).status_code
            answers.append((time.monotonic(), status))
        return answers

    with ThreadPoolExecutor(max_workers=4) as pool:
        loops = [pool.submit(read_loop, urls[n % 2]) for n in range(4)]
        time.sleep(1)
        b.send(signal.SIGKILL)  # the master and its workers, no goodbye
        b.process.wait()
        killed_at = time.monotonic()
        time.sleep(2)
        stop.set()
        answers = [answer for loop in loops for answer in loop.result()]

    statuses = [status for _, status in answers]
    assert set(statuses) == {200}, statuses
    assert sum(1 for at, _ in answers if at < killed_at) >= 4  # reads before the kill ...
    assert sum(1 for at, _ in answers if at > killed_at) >= 4  # ... and after it
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            users = conn.execute(sa.text("SELECT COUNT(*) FROM users WHERE email IN :e")
                                 .bindparams(sa.bindparam("e", expanding=True)),
                                 {"e": emails}).scalar_one()
            stored = conn.execute(sa.text("SELECT COUNT(*) FROM files WHERE id IN :f")
                                  .bindparams(sa.bindparam("f", expanding=True)),
                                  {"f": files}).scalar_one()
    finally:
        engine.dispose()
    assert (users, stored) == (3, 3)

    # The survivor carries on, writes included, through nginx and directly.
    for _ in range(4):
        assert requests.post(f"{cluster.url}/api/v1/files", headers=headers, timeout=30,
                             files={"file": ("after.txt", b"after\n")}).status_code == 201
    assert requests.get(f"{a.url}/api/v1/files/{files[0]}", headers=headers,
                        timeout=10).status_code == 200

    # B restarted: its rows and files are all there.
    port = cluster.spec.instance_ports[1]
    restarted = cluster.start_instance(2, port)
    for file_id in files:
        answer = requests.get(f"{restarted.url}/api/v1/files/{file_id}/content",
                              headers=headers, timeout=10)
        assert answer.status_code == 200


def test_sigterm_lets_an_upload_in_flight_finish(cluster):
    instance = cluster.instances[1]
    _, tokens = register_and_login(instance.url)
    boundary = "signet-graceful"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"slow.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    chunks = [b"slow upload line\n" * 1000 for _ in range(6)]
    length = len(head) + sum(map(len, chunks)) + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", cluster.spec.instance_ports[1],
                                            timeout=30)
    connection.putrequest("POST", "/api/v1/files")
    for name, value in {**bearer(tokens), "Content-Length": str(length),
                        "Content-Type": f"multipart/form-data; boundary={boundary}"}.items():
        connection.putheader(name, value)
    connection.endheaders(head)
    for n, chunk in enumerate(chunks):
        if n == 2:  # the upload is in flight: a worker is reading it
            instance.send(signal.SIGTERM)
        time.sleep(0.3)
        connection.send(chunk)
    connection.send(tail)
    answer = connection.getresponse()
    response_body = json.loads(answer.read())
    connection.close()

    assert answer.status == 201, response_body
    instance.process.wait(timeout=30)
    content = requests.get(f"{cluster.instances[0].url}{response_body['url']}",
                           headers=bearer(tokens), timeout=10)
    assert content.status_code == 200
    assert content.headers["X-Accel-Redirect"]
    through = requests.get(f"{cluster.url}{response_body['url']}", headers=bearer(tokens),
                           timeout=10)
    assert through.content == b"".join(chunks)
