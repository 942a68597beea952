"""The requests of bench/mixed.py: wrk sending the mix (bench/mixed.lua), and one of each first.

wrk counts a 3xx as a success and says nothing of which request failed, so before any
figure `preflight` sends each kind of request once, as mixed.lua shapes it, and stops the
bench on anything but a 2xx, naming the request.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import requests

from bench.common import parse_wrk

LUA = Path(__file__).resolve().parent / "mixed.lua"
THREADS = 2
UPLOAD = b"a small note from the mixed benchmark"
ITEM = {"title": "a small item", "description": "from the mixed benchmark"}


def kinds(flavor: str, token: str, login_body: str, refresh_token: str | None) -> dict:
    """Each kind of the mix as requests' arguments (method, path, keywords), as mixed.lua."""
    auth = {"Authorization": f"Bearer {token}"}
    if flavor == "signet":
        return {
            "who am I": ("GET", "/api/v1/auth/me", {"headers": auth}),
            "list": ("GET", "/api/v1/files?limit=20", {"headers": auth}),
            "upload": ("POST", "/api/v1/files", {
                "headers": auth, "files": {"file": ("note.txt", UPLOAD, "text/plain")}}),
            "refresh": ("POST", "/api/v1/auth/refresh", {
                "headers": {"Authorization": f"Bearer {refresh_token}"}}),
            "sign-in": ("POST", "/api/v1/auth/login", {
                "data": login_body, "headers": {"Content-Type": "application/json"}}),
        }
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return {
        "who am I": ("GET", "/api/v1/users/me", {"headers": auth}),
        "list": ("GET", "/api/v1/items/?limit=20", {"headers": auth}),
        "create": ("POST", "/api/v1/items/", {"headers": auth, "json": ITEM}),
        "re-login and sign-in": ("POST", "/api/v1/login/access-token",
                                 {"data": login_body, "headers": form}),
    }


def preflight(base: str, requests_by_kind: dict) -> None:
    """Send each kind once; raise on anything but a 2xx (redirects not followed)."""
    for kind, (method, path, keywords) in requests_by_kind.items():
        response = requests.request(method, base + path, allow_redirects=False, timeout=60,
                                    **keywords)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"{kind}: {method} {base}{path} answered "
                               f"{response.status_code}: {response.text[:300]}")


def milliseconds(text: str) -> float:
    """wrk's latency (512.00us, 12.34ms, 1.20s, 1.00m) in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_mix(url: str, seconds: int, connections: int, lua_args: list[str]) -> dict:
    """Drive `url` with the mix; return req/s, p50 and p99 (ms), errors and the draw."""
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "30s", "-s", str(LUA), url, "--", *lua_args]
    out = subprocess.run(command, capture_output=True, text=True, check=True,
                         timeout=seconds + 120).stdout
    figures = parse_wrk(out)
    # mixed.lua's done(): "mix <thread> <me> <list> <create> <refresh> <sign-in> <exhausted>"
    draw = [sum(column) for column in zip(*(map(int, line.split()[2:])
                                            for line in out.splitlines()
                                            if line.startswith("mix ")), strict=True)]
    return {"rps": figures["rps"], "p50": milliseconds(figures["p50"]),
            "p99": milliseconds(figures["p99"]),
            "errors": figures["non2xx"] + figures["socket_errors"], "draw": draw}
