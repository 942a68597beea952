"""nginx's own limits, live in front of a stand-in instance: one address flooding or
holding connections is answered 429 problem+json (never 503) while others carry on, and
the TLS site sends HSTS and redirects plain HTTP."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from deploy.nginx import Site, Tls
from tests.deploy.stand_in import Upstream, running_nginx, self_signed
from tests.live_server import free_port

pytestmark = pytest.mark.cluster  # nginx in front of stand-in instances

PROBLEM = "application/problem+json"


@pytest.fixture
def upstream():
    """One stand-in instance answering 200 to everything."""
    instance = Upstream(200)
    yield instance
    instance.close()


@pytest.fixture
def front(nginx, tmp_path, upstream):
    """Start nginx on a plain site with `overrides` in front of the stand-in; return its URL."""
    def start(**overrides) -> str:
        port = free_port()
        site = Site(upstreams=(upstream.address,), listen=f"127.0.0.1:{port}",
                    upload_folder=str(tmp_path), **overrides)
        url = f"http://127.0.0.1:{port}"
        stack.append(running_nginx(nginx, tmp_path, site, f"{url}/healthz"))
        stack[-1].__enter__()
        upstream.hits.clear()
        return url

    stack: list = []
    yield start
    for running in stack:
        running.__exit__(None, None, None)


def assert_nginx_problem(response: requests.Response, retry_after: str, detail: str) -> None:
    """nginx's 429: problem+json naming the limit, with Retry-After, as Signet answers."""
    assert response.status_code == 429
    assert response.headers["Content-Type"] == PROBLEM
    assert response.headers["Retry-After"] == retry_after
    body = response.json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    assert detail in body["detail"]


def test_a_flood_from_one_address_is_429_problem_json_and_health_probes_pass(front, upstream):
    url = front(request_rate="1r/m", request_burst=2)

    answers = [requests.get(f"{url}/api/v1/users", timeout=5) for _ in range(5)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert_nginx_problem(answers[-1], "1", "Too many requests from your address")
    assert upstream.hits["GET"] == 3  # the refused ones never reached an instance
    probes = [requests.get(f"{url}/healthz", timeout=5).status_code for _ in range(5)]
    assert probes == [200] * 5


def test_sign_in_and_mail_routes_have_tighter_zones(front, upstream):
    url = front()  # production's limits

    logins = [requests.post(f"{url}/api/v1/auth/login", json={}, timeout=5)
              for _ in range(14)]
    forgot = [requests.post(f"{url}/api/v1/auth/password/forgot", json={}, timeout=5)
              for _ in range(8)]
    reads = [requests.get(f"{url}/api/v1/auth/me", timeout=5).status_code for _ in range(20)]

    # A burst of 10 above the rate: 11 at once, then refused until a token comes back.
    assert [a.status_code for a in logins[:11]] == [200] * 11
    assert [a.status_code for a in logins[-2:]] == [429, 429]
    assert_nginx_problem(logins[-1], "2", "Too many sign-in attempts")
    assert [a.status_code for a in forgot[:6]] == [200] * 6
    assert [a.status_code for a in forgot[-2:]] == [429, 429]
    assert_nginx_problem(forgot[-1], "10", "Too many mail requests")
    assert reads == [200] * 20  # the general zone is far from spent


def trickle(port: int, source: str) -> socket.socket:
    """A connection from `source` that sends a POST's header and one byte of its body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                    source_address=(source, 0))
    sock.sendall(b"POST /api/v1/files HTTP/1.1\r\nHost: signet\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    return sock


def test_one_address_holding_slow_bodies_is_refused_beyond_its_connections(front, upstream):
    url = front(connections_per_address=5)
    port = int(url.rsplit(":", 1)[1])
    # The start-up probe came from 127.0.0.1 too: nginx frees its slot just after answering.
    time.sleep(0.2)

    sockets = [trickle(port, "127.0.0.1") for _ in range(8)]
    try:
        answered = []
        deadline = time.monotonic() + 2
        for sock in sockets:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                answered.append(sock.recv(4096))
            except TimeoutError:
                answered.append(None)  # still waiting for its body: held, as it should be
        same_address = requests.get(f"{url}/api/v1/users", timeout=5)
        # 127.0.0.2 is another address (the loopback is a /8): untouched by the first's use.
        other_address = socket.create_connection(("127.0.0.1", port), timeout=5,
                                                 source_address=("127.0.0.2", 0))
        other_address.sendall(b"GET /healthz HTTP/1.1\r\nHost: signet\r\n"
                              b"Connection: close\r\n\r\n")
        other_answer = other_address.recv(4096)
        other_address.close()
    finally:
        for sock in sockets:
            sock.close()

    refused = [data for data in answered if data]
    assert len(refused) == 3, answered  # 5 held at once, no more
    for data in refused:
        assert data.startswith(b"HTTP/1.1 429 ")
        assert b"Content-Type: application/problem+json" in data
    assert other_answer.startswith(b"HTTP/1.1 200 ")
    assert same_address.status_code == 429  # until its slow bodies end
    assert upstream.hits["POST"] == 0  # no trickled body ever reached an instance


def test_the_tls_site_sends_hsts_and_plain_http_is_redirected(nginx, tmp_path, upstream):
    certificate, key = self_signed(tmp_path)
    https_port, http_port = free_port(), free_port()
    site = Site(upstreams=(upstream.address,), server_name="localhost",
                upload_folder=str(tmp_path),
                tls=Tls(certificate=certificate, certificate_key=key,
                        listen=(f"127.0.0.1:{https_port}",),
                        redirect_listen=(f"127.0.0.1:{http_port}",)))
    https = f"https://127.0.0.1:{https_port}"

    with running_nginx(nginx, tmp_path, site, f"{https}/healthz", verify=certificate):
        secure = requests.get(f"{https}/api/v1/users", timeout=5, verify=certificate)
        plain = requests.get(f"http://127.0.0.1:{http_port}/login?next=/profile", timeout=5,
                             allow_redirects=False)
        plain_api = requests.post(f"http://127.0.0.1:{http_port}/api/v1/auth/login",
                                  json={}, timeout=5, allow_redirects=False)

    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://localhost/login?next=/profile"
    assert "Strict-Transport-Security" not in plain.headers  # never over plain HTTP
    assert plain_api.status_code == 301
    assert upstream.hits["POST"] == 0  # nothing crossed in clear


class Streamer(threading.Thread):
    """A stand-in instance streaming `size` bytes to each GET, counting what it got out."""

    def __init__(self, size: int):
        super().__init__(daemon=True)
        self.size = size
        self.sent: dict[str, int] = {}
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.start()

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.stream, args=(conn,), daemon=True).start()

    def stream(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            path = head.split(b" ", 2)[1].decode()
            size = 0 if path == "/healthz" else self.size  # nginx's start-up probe
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
            conn.settimeout(3)  # blocked this long: nginx stopped reading
            chunk = b"\0" * 65536
            self.sent[path] = 0
            try:
                while self.sent[path] < size:
                    self.sent[path] += conn.send(chunk)
            except OSError:
                pass


def test_a_client_that_does_not_read_is_not_spooled_without_bound(nginx, tmp_path):
    streamer = Streamer(size=256 * 1024 * 1024)
    port = free_port()
    # Temporary files of at most 1 MiB (the largest body) for ordinary responses.
    site = Site(upstreams=(streamer.address,), listen=f"127.0.0.1:{port}",
                upload_folder=str(tmp_path), max_body_bytes=1024 * 1024)
    paths = ("/api/v1/auth/me/export", "/api/v1/files/1/content")
    with running_nginx(nginx, tmp_path, site, f"http://127.0.0.1:{port}/healthz"):
        clients = []
        for path in paths:  # each asks, then reads nothing
            client = socket.create_connection(("127.0.0.1", port))
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: signet\r\n\r\n".encode())
            clients.append(client)
        time.sleep(3)
        sent = dict(streamer.sent)
        for client in clients:
            client.close()
    streamer.listener.close()

    # Without bounds nginx took all 256 MiB off the instance onto its disk at once. Now
    # the instance gets out what fits in nginx's buffers, its temporary file (none for
    # the export) and the sockets' buffers, then waits for the client.
    mib = 1024 * 1024
    assert sent[paths[0]] < 24 * mib, sent
    assert sent[paths[1]] < 24 * mib, sent
