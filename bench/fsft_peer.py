"""The peer of bench/mixed.py: the FastAPI full-stack template, as ../shared/peers/fsft set it up.

Nothing of the template lives in this repository: RECIPE.md there sets it up in /tmp/peer
(PEER_DIR), and its start.sh and stop.sh run it (uvicorn, 2 workers, 127.0.0.1:8200,
PostgreSQL). This module starts it, gives it a bench user with items, times its password
check, and cleans up after itself.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import requests

PEER = Path(os.environ.get("PEER_DIR", "/tmp/peer"))  # noqa: S108 - where the recipe puts it
PEER_URL = "http://127.0.0.1:8200"  # where start.sh serves it

ARGON2_CHECK = """
import statistics, sys, time
from pwdlib.hashers.argon2 import Argon2Hasher  # the template's hasher, its defaults
hasher = Argon2Hasher()
stored = hasher.hash("bench pass 1")
times = []
for _ in range(5):
    started = time.perf_counter()
    hasher.verify("bench pass 1", stored)
    times.append(time.perf_counter() - started)
print(statistics.median(times))
"""


class Peer:
    """The FastAPI full-stack template started from PEER, with a bench user of its own."""

    def __init__(self) -> None:
        self.url = PEER_URL
        self.api = f"{PEER_URL}/api/v1"
        self.started = False
        self.user_id = self.admin = None
        self.email, self.password = f"mixed-{uuid.uuid4().hex[:8]}@example.com", "bench pass 1"

    @staticmethod
    def installed() -> bool:
        """Whether the recipe's scripts and venv are in place."""
        return all((PEER / name).exists() for name in ("start.sh", "stop.sh", "peer.env",
                                                       "venv/bin/uvicorn"))

    def start(self) -> None:
        """Start the peer unless it already runs (then it is left running at the end)."""
        self.started = not healthy(f"{self.api}/utils/health-check/")
        subprocess.run([str(PEER / "start.sh")], check=True, timeout=300)
        env = dict(line.split("=", 1) for line in (PEER / "peer.env").read_text().splitlines()
                   if "=" in line and not line.startswith("#"))
        self.admin = self.token(env["FIRST_SUPERUSER"], env["FIRST_SUPERUSER_PASSWORD"])
        created = requests.post(f"{self.api}/users/", headers=bearer(self.admin), timeout=60,
                                json={"email": self.email, "password": self.password,
                                      "full_name": "Bench User"})
        assert created.status_code == 200, created.text
        self.user_id = created.json()["id"]

    def token(self, email: str, password: str) -> str:
        """An access token from the login form."""
        response = requests.post(f"{self.api}/login/access-token", timeout=60,
                                 data={"username": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def add_items(self, token: str, count: int) -> None:
        """Give the bench user `count` small items, as Signet's user has files."""
        for number in range(count):
            created = requests.post(f"{self.api}/items/", headers=bearer(token), timeout=60,
                                    json={"title": f"note {number}", "description": "seed"})
            assert created.status_code == 200, created.text

    def stop(self) -> None:
        """Delete the bench user (and its items); stop the peer if this run started it."""
        if self.user_id:
            requests.delete(f"{self.api}/users/{self.user_id}", headers=bearer(self.admin),
                            timeout=60)
        if self.started:
            subprocess.run([str(PEER / "stop.sh")], timeout=120)
        else:
            print(f"the peer was running before this run: left running ({PEER}/stop.sh)")


def bearer(token: str) -> dict:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def healthy(url: str) -> bool:
    """Whether `url` answers 200."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def argon2_check_seconds() -> float:
    """The median time of one of the template's password checks, in its own venv."""
    out = subprocess.run([str(PEER / "venv/bin/python"), "-c", ARGON2_CHECK], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return float(out)
