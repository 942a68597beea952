"""The GitHub preset against a small local stand-in (github.com is unreachable from tests)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from app.federation.client import forget_cached
from app.federation.models import Identity
from tests.federation.servers import FakeGitHub, SignetThread, start_fake_github
from tests.live_server import free_port

pytestmark = pytest.mark.live
HTML = {"Accept": "text/html"}


@pytest.fixture
def github_signet(app_config, request):
    server, github = start_fake_github()
    port = free_port()
    app_config.update(
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", AUTH_PROVIDERS="github",
        AUTH_PROVIDER_GITHUB_PRESET="github", AUTH_PROVIDER_GITHUB_CLIENT_ID="gh-client",
        AUTH_PROVIDER_GITHUB_CLIENT_SECRET="gh-secret", AUTH_PROVIDER_GITHUB_GITHUB_URL=github,
        AUTH_PROVIDER_GITHUB_GITHUB_API_URL=f"{github}/api", AUTH_PROVIDER_TIMEOUT=3,
        JWT_COOKIE_SECURE=False)
    forget_cached()
    application = request.getfixturevalue("app")
    with SignetThread(application, port):
        yield f"http://127.0.0.1:{port}", github
    server.shutdown()
    FakeGitHub.emails = [{"email": "octo@example.test", "primary": True, "verified": True}]


def test_github_signs_in_with_its_user_id_and_verified_email(github_signet, db):
    signet, github = github_signet
    session = requests.Session()
    page = session.get(f"{signet}/api/v1/auth/providers/github/start", headers=HTML,
                       timeout=10)
    assert page.status_code == 200 and page.url == f"{signet}/profile"
    assert "Octo Cat" in page.text
    identity = db.session.scalar(select(Identity))
    assert (identity.issuer, identity.sub, identity.email) == (github, "4242",
                                                               "octo@example.test")


def test_github_without_a_verified_email_is_a_clear_page(github_signet, db):
    signet, _ = github_signet
    FakeGitHub.emails = [{"email": "octo@example.test", "primary": True, "verified": False}]
    page = requests.get(f"{signet}/api/v1/auth/providers/github/start", headers=HTML,
                        timeout=10)
    assert page.status_code == 403 and "vouch" in page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert db.session.scalar(select(Identity)) is None
