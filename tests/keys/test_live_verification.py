"""Served by gunicorn: the documented five lines verify tokens, across workers and a rotation."""

from __future__ import annotations

import re
import time
from pathlib import Path

import jwt
import pytest
import requests

from app.keys.service import rotate_key
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.live
DOCS = Path(__file__).resolve().parents[2] / "docs" / "tokens.md"
DOCUMENTED_URL = "https://signet.example.com"
TEST_BASE_URL = "http://localhost:8000"  # PUBLIC_BASE_URL in testing


def documented_verify(server_url: str):
    """The `verify` function of docs/tokens.md, pointed at this server."""
    section = DOCS.read_text().split("## Use Signet from another service", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    assert len(code.strip().splitlines()) == 5
    code = (code.replace(f"{DOCUMENTED_URL}/.well-known", f"{server_url}/.well-known")
            .replace(DOCUMENTED_URL, TEST_BASE_URL))
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation, run as a reader would
    return namespace["verify"]


def login(url: str, email: str) -> str:
    response = requests.post(f"{url}/api/v1/auth/login", timeout=30,
                             json={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_the_documented_snippet_verifies_tokens_through_a_rotation(live_server, user):
    server = live_server(workers=2, env={"ACCESS_TOKEN_SIGNING": "ES256",
                                         "SIGNING_KEY_REFRESH_SECONDS": "1"})
    verify = documented_verify(server.url)

    first = login(server.url, user.email)
    assert verify(first)["sub"] == str(user.id)
    old_kid = jwt.get_unverified_header(first)["kid"]

    new_kid = rotate_key(sign_now=True).kid
    deadline = time.monotonic() + 30
    kids: set[str] = set()
    while kids != {new_kid}:  # both workers, each after its next read of the keys
        assert time.monotonic() < deadline, f"workers still sign with {kids}"
        kids = {jwt.get_unverified_header(login(server.url, user.email))["kid"]
                for _ in range(4)}
        time.sleep(0.2)

    fresh = login(server.url, user.email)
    # A service that fetches the JWKS now (PyJWKClient re-fetches for an unknown kid only
    # 30 s after its last fetch, which is why a routine rotation publishes keys an hour
    # before they sign) verifies both: the old key is still published.
    later = documented_verify(server.url)
    assert later(fresh)["sub"] == str(user.id)
    assert later(first)["sub"] == str(user.id)
    assert verify(first)["sub"] == str(user.id)
    assert old_kid != new_kid
    for token in (first, fresh):
        me = requests.get(f"{server.url}/api/v1/auth/me", timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    with pytest.raises(jwt.InvalidSignatureError):
        later(fresh[:-4] + ("AAAA" if not fresh.endswith("AAAA") else "BBBB"))
