"""bench/chaos.py's client: a mixed load through nginx that remembers every acknowledged write.

Each worker thread plays users: register (with a profile image), sign in, refresh,
upload, download, change the password, sign out. An answer in 2xx is an acknowledged
write and goes into the `Ledger`; after a revocation is acknowledged (logout, password
change) the old access token is tried again at once, and any 200 is a violation.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests
from PIL import Image

PASSWORD = "chaos orbit 7 lantern"  # noqa: S105 - throw-away accounts
NEW_PASSWORD = "chaos orbit 8 lantern"  # noqa: S105
WRITES = {"register", "login", "refresh", "upload", "password", "logout"}


@dataclass
class Ledger:
    """What the cluster acknowledged, and what went wrong, by phase."""

    users: dict[str, int] = field(default_factory=dict)          # email -> id
    files: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (name, sha256)
    revoked: list[tuple[str, float]] = field(default_factory=list)   # access token, acked at
    revoked_accepted: int = 0
    corrupt_downloads: int = 0
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    successes: dict[str, int] = field(default_factory=Counter)
    write_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, phase: str, op: str, status: int | str, at: float) -> None:
        with self.lock:
            ok = isinstance(status, int) and 200 <= status < 300
            if op == "revoked-check":
                ok = status == 401  # the answer wanted; a 200 is counted as a violation
            if ok:
                self.successes[phase] += 1
                if op in WRITES:
                    self.write_times.append(at)
            else:
                self.statuses[phase][f"{op}:{status}"] += 1


class Player:
    """One simulated user after another, on one thread, until `stop` is set."""

    def __init__(self, base: str, ledger: Ledger, phase, stop: threading.Event, image: bytes):
        self.base, self.ledger, self.phase, self.stop = base, ledger, phase, stop
        self.image = image
        self.http = requests.Session()
        self.ip = f"198.18.{os.getpid() % 250}.{threading.get_ident() % 250}"

    def call(self, op: str, method: str, path: str, **kwargs) -> requests.Response | None:
        kwargs.setdefault("timeout", 30)
        headers = {"X-Forwarded-For": self.ip, **kwargs.pop("headers", {})}
        started = time.monotonic()
        try:
            response = self.http.request(method, self.base + path, headers=headers, **kwargs)
        except requests.RequestException as error:
            self.ledger.record(self.phase(), op, type(error).__name__, started)
            time.sleep(0.1)
            return None
        self.ledger.record(self.phase(), op, response.status_code, time.monotonic())
        if response.status_code >= 500:
            time.sleep(0.1)  # a client backs off a little before its next request
        return response

    def run(self) -> None:
        while not self.stop.is_set():
            self.one_user()

    def one_user(self) -> None:
        email = f"chaos-{uuid.uuid4().hex[:12]}@example.com"
        created = self.call("register", "POST", "/api/v1/auth/register",
                            data={"name": "Chaos", "email": email, "password": PASSWORD},
                            files={"profile_image": ("me.png", self.image, "image/png")})
        if created is None or created.status_code != 201:
            return
        with self.ledger.lock:
            self.ledger.users[email] = created.json()["id"]
        tokens = self.login(email, PASSWORD)
        if tokens is None:
            return
        for _ in range(2):
            if self.stop.is_set():
                return
            tokens = self.refresh(tokens) or tokens
            self.upload_and_download(tokens)
        changed = self.call("password", "POST", "/api/v1/auth/password", headers=bearer(tokens),
                            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        if changed is not None and changed.status_code == 204:
            self.revoked(tokens)
            tokens = self.login(email, NEW_PASSWORD)
            if tokens is None:
                return
        out = self.call("logout", "POST", "/api/v1/auth/logout", headers=bearer(tokens))
        if out is not None and out.status_code == 204:
            self.revoked(tokens)

    def login(self, email: str, password: str) -> dict | None:
        response = self.call("login", "POST", "/api/v1/auth/login",
                             json={"email": email, "password": password})
        return response.json() if response is not None and response.status_code == 200 else None

    def refresh(self, tokens: dict) -> dict | None:
        response = self.call("refresh", "POST", "/api/v1/auth/refresh",
                             headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
        return response.json() if response is not None and response.status_code == 200 else None

    def upload_and_download(self, tokens: dict) -> None:
        # A PNG (an accepted type) of its own: random pixels, so every upload differs.
        data = png(os.urandom(8 * 8 * 3))
        name = f"{uuid.uuid4().hex}.png"
        sent = self.call("upload", "POST", "/api/v1/files", headers=bearer(tokens),
                         files={"file": (name, data, "image/png")})
        if sent is None or sent.status_code != 201:
            return
        file_id = sent.json()["id"]
        digest = hashlib.sha256(data).hexdigest()
        with self.ledger.lock:
            self.ledger.files[file_id] = (name, digest)
        got = self.call("download", "GET", f"/api/v1/files/{file_id}/content",
                        headers=bearer(tokens))
        if got is not None and got.status_code == 200 and \
                hashlib.sha256(got.content).hexdigest() != digest:
            with self.ledger.lock:
                self.ledger.corrupt_downloads += 1

    def revoked(self, tokens: dict) -> None:
        """The revocation was acknowledged: the old access token must be refused now."""
        with self.ledger.lock:
            self.ledger.revoked.append((tokens["access_token"], time.monotonic()))
        me = self.call("revoked-check", "GET", "/api/v1/auth/me", headers=bearer(tokens))
        if me is not None and me.status_code == 200:
            with self.ledger.lock:
                self.ledger.revoked_accepted += 1


def png(pixels: bytes) -> bytes:
    """An 8x8 RGB PNG of `pixels`."""
    out = io.BytesIO()
    Image.frombytes("RGB", (8, 8), pixels).save(out, format="PNG")
    return out.getvalue()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def longest_gap(times: list[float], start: float, end: float) -> float:
    """The longest stretch in [start, end] without a successful write."""
    points = [start, *sorted(t for t in times if start <= t <= end), end]
    return max(b - a for a, b in itertools.pairwise(points))
