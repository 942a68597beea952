"""What the benchmarks share: production settings for a served Signet, and wrk."""

from __future__ import annotations

import re
import secrets
import subprocess

from cryptography.fernet import Fernet


def production_settings(**overrides: str) -> dict[str, str]:
    """Settings for Signet served as in production, with what a benchmark needs changed.

    Fresh random keys; rate limits off (a benchmark would measure 429s); access tokens that
    outlive the run; the access log off (it would be the bench's biggest cost). Production
    refuses to start without a public address and a mail backend: benchmarks use no
    passkeys, and the file backend writes to instance/mail, which git ignores.
    """
    return {
        "APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48), "RATELIMIT_ENABLED": "false",
        "SIGNING_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "JWT_ACCESS_TOKEN_EXPIRES": "3600", "GUNICORN_ACCESSLOG": "",
        "PUBLIC_BASE_URL": "http://127.0.0.1", "MAIL_BACKEND": "file", **overrides,
    }


def wrk(url: str, seconds: int, *, connections: int = 16, headers: dict | None = None,
        script: str | None = None) -> dict:
    """Run `wrk -t2` on `url`; return req/s, p50, p99 and the count of non-2xx answers."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
               # A bcrypt-bound request may wait behind 15 others: no timeouts at 2 s.
               "--timeout", "30s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    figures = parse_wrk(out)
    return {"rps": figures["rps"], "p50": figures["p50"], "p99": figures["p99"],
            "errors": figures["non2xx"]}


def parse_wrk(out: str) -> dict:
    """req/s, p50 and p99 (as wrk prints them), non-2xx and socket errors from wrk's output."""
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            # At a line's start: "Latency ... 85.50%" also holds a "50%".
            "p50": re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1),
            "p99": re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, sockets.groups())) if sockets else 0}
