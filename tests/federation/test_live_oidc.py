"""Provider sign-in against a real OpenID Provider (oidc-provider, Node) over HTTP.

Signet is served from a thread on a free port; the provider runs as a Node process on
another. Requests follow the browser's redirects; the provider's dev login screen signs
in any login name.
"""

from __future__ import annotations

import re
import shutil
import time
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.federation.client import KEYS_REFETCH_SECONDS, forget_cached
from app.federation.models import Identity
from app.sessions.models import UserSession
from app.settings import settings_of
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD
from tests.federation.servers import (
    CLIENT_SECRET,
    NATIVE_REDIRECT,
    OidcProvider,
    SignetThread,
    follow_until,
    log_in_at_provider,
)
from tests.live_server import free_port
from tests.mfa.helpers import Authenticator

pytestmark = [pytest.mark.live,
              pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")]
HTML = {"Accept": "text/html"}
SIGNET_PORT = free_port()
SIGNET = f"http://127.0.0.1:{SIGNET_PORT}"
CALLBACK = f"{SIGNET}/api/v1/auth/providers/local/callback"


@pytest.fixture(scope="module")
def provider():
    started = OidcProvider(SIGNET).start()
    yield started
    started.stop()


@pytest.fixture
def signet(provider, app_config, request):
    if not provider.running():
        provider.start()
    app_config.update(
        PUBLIC_BASE_URL=SIGNET, AUTH_PROVIDERS="local",
        AUTH_PROVIDER_LOCAL_ISSUER=provider.issuer, AUTH_PROVIDER_LOCAL_NAME="Local ID",
        AUTH_PROVIDER_LOCAL_CLIENT_ID="signet", AUTH_PROVIDER_LOCAL_CLIENT_SECRET=CLIENT_SECRET,
        AUTH_PROVIDER_LOCAL_AUDIENCES="native-app", AUTH_PROVIDER_TIMEOUT=3,
        JWT_COOKIE_SECURE=False)
    forget_cached()
    application = request.getfixturevalue("app")
    with SignetThread(application, SIGNET_PORT):
        yield application


def sign_in_in_browser(login: str, session: requests.Session | None = None):
    session = session or requests.Session()
    page = session.get(f"{SIGNET}/api/v1/auth/providers/local/start?next=/files",
                       headers=HTML)
    assert page.url.startswith("http://127.0.0.1:") and "/interaction/" in page.url
    return session, log_in_at_provider(session, page, login)


def test_a_first_sign_in_makes_an_account_and_signs_the_browser_in(signet):
    session, page = sign_in_in_browser("ada")

    assert page.status_code == 200 and page.url == f"{SIGNET}/files"
    assert [r.status_code for r in page.history][-1] == 303  # the callback's redirect
    assert {"access_token_cookie", "csrf_access_token"} <= set(session.cookies.keys())
    me = session.get(f"{SIGNET}/api/v1/auth/me").json()
    assert me["email"] == "ada@example.test" and me["hasPassword"] is False
    assert me["emailVerified"] is True
    identity = db.session.scalar(select(Identity))
    assert (identity.issuer, identity.sub, identity.provider) == (settings_of(
        signet).federation.providers[0].issuer, "ada", "local")
    assert db.session.scalar(select(UserSession.auth_methods)) == "fed"
    listed = session.get(f"{SIGNET}/api/v1/auth/identities").json()["items"]
    assert [item["provider"] for item in listed] == ["local"]

    _, page = sign_in_in_browser("ada")  # a second sign-in: the same account
    assert page.url == f"{SIGNET}/files"
    assert db.session.scalar(select(User.id).where(User.email == "ada@example.test"))
    assert len(db.session.scalars(select(User)).all()) == 1


def test_the_callback_works_once_and_only_in_the_browser_that_started(signet):
    session = requests.Session()
    page = session.get(f"{SIGNET}/api/v1/auth/providers/local/start", headers=HTML)
    response = log_in_at_provider(session, page, "bob", allow_redirects=False)
    callback = follow_until(session, urljoin(response.url, response.headers["Location"]),
                            CALLBACK)

    stranger = requests.get(callback, headers=HTML, timeout=10)  # no flow cookie: another browser
    assert stranger.status_code == 401 and "start again" in stranger.text
    first = session.get(callback, headers=HTML, allow_redirects=False)
    assert first.status_code == 303
    replay = session.get(callback, headers={"Accept": "application/json"})
    assert replay.status_code == 401
    assert replay.headers["Content-Type"] == "application/problem+json"


def test_an_existing_account_with_that_email_gets_account_exists(signet, users):
    users.create(email="cy@example.test")
    _, page = sign_in_in_browser("cy")
    assert page.status_code == 409 and "link" in page.text
    assert db.session.scalar(select(Identity)) is None


def test_a_cancelled_sign_in_is_a_page_not_an_error(signet):
    session = requests.Session()
    start = session.get(f"{SIGNET}/api/v1/auth/providers/local/start", allow_redirects=False)
    state = requests.utils.urlparse(start.headers["Location"]).query
    state = dict(p.split("=", 1) for p in state.split("&"))["state"]
    page = session.get(f"{CALLBACK}?error=access_denied&state={state}", headers=HTML)
    assert page.status_code == 401 and "did not sign you in" in page.text
    assert page.headers["Content-Type"].startswith("text/html")


def test_a_provider_stopped_mid_flow_is_a_503_page(signet, provider):
    session = requests.Session()
    page = session.get(f"{SIGNET}/api/v1/auth/providers/local/start", headers=HTML)
    response = log_in_at_provider(session, page, "dee", allow_redirects=False)
    callback = follow_until(session, urljoin(response.url, response.headers["Location"]),
                            CALLBACK)
    provider.stop()
    page = session.get(callback, headers=HTML)
    assert page.status_code == 503 and "cannot be reached" in page.text
    assert db.session.scalar(select(User)) is None


def native_id_token(provider: OidcProvider, login: str, nonce: str | None = None) -> str:
    """Run the provider's sign-in as a native app would, and return its ID token."""
    session = requests.Session()
    verifier = generate_token(64)
    params = {"client_id": "native-app", "response_type": "code", "scope": "openid email",
              "redirect_uri": NATIVE_REDIRECT, "state": "s", "code_challenge_method": "S256",
              "code_challenge": create_s256_code_challenge(verifier)}
    if nonce:
        params["nonce"] = nonce
    page = session.get(f"{provider.issuer}/auth", params=params)
    response = log_in_at_provider(session, page, login, allow_redirects=False)
    back = follow_until(session, urljoin(response.url, response.headers["Location"]),
                        NATIVE_REDIRECT)
    code = dict(p.split("=", 1) for p in back.split("?", 1)[1].split("&"))["code"]
    token = requests.post(f"{provider.issuer}/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": NATIVE_REDIRECT,
        "client_id": "native-app", "code_verifier": verifier}, timeout=10).json()
    return token["id_token"]


def test_an_app_signs_in_with_the_id_token_the_provider_gave_it(signet, provider):
    id_token = native_id_token(provider, "eve", nonce="n-123")
    url = f"{SIGNET}/api/v1/auth/providers/local/id-token"

    def status(body: dict) -> int:
        return requests.post(url, json=body, timeout=10).status_code

    assert status({"id_token": id_token, "nonce": "other"}) == 401
    assert status({"id_token": id_token}) == 401  # the nonce it was issued with, unsent
    tampered = id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB")
    assert status({"id_token": tampered, "nonce": "n-123"}) == 401
    answer = requests.post(url, json={"id_token": id_token, "nonce": "n-123"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"
    me = requests.get(f"{SIGNET}/api/v1/auth/me", timeout=10,
                      headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
    assert me.json()["email"] == "eve@example.test"


def test_keys_rotated_at_the_provider_are_fetched_again(signet, provider):
    url = f"{SIGNET}/api/v1/auth/providers/local/id-token"
    assert requests.post(url, json={"id_token": native_id_token(provider, "fay")}, timeout=10).ok
    fetched = time.monotonic()
    provider.stop()
    provider.start(key_id="key-2")  # a new signing key, the old one gone
    # Signet fetches a provider's keys at most once per KEYS_REFETCH_SECONDS (a stream of
    # made-up kids must not become a stream of fetches); a fast restart can beat that.
    time.sleep(max(0.0, KEYS_REFETCH_SECONDS - (time.monotonic() - fetched)) + 0.05)
    answer = requests.post(url, json={"id_token": native_id_token(provider, "fay")}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert len(db.session.scalars(select(Identity)).all()) == 1


def test_an_unverified_email_makes_no_account(signet):
    _, page = sign_in_in_browser("unverified")
    assert page.status_code == 403 and "vouch" in page.text


def password_browser(email: str) -> requests.Session:
    """A browser signed in with the sign-in form (cookies, CSRF)."""
    session = requests.Session()
    page = session.post(f"{SIGNET}/api/v1/auth/login", headers=HTML, data={
        "email": email, "password": DEFAULT_PASSWORD, "next": "/profile"})
    assert page.status_code == 200 and page.url == f"{SIGNET}/profile"
    return session


def test_a_signed_in_person_links_and_unlinks_a_provider(signet, users):
    owner = users.create(email="gil@example.com")
    browser = password_browser("gil@example.com")
    page = browser.get(f"{SIGNET}/api/v1/auth/providers/local/link?next=/profile", headers=HTML)
    page = log_in_at_provider(browser, page, "gil-at-work")
    assert page.url == f"{SIGNET}/profile" and "gil-at-work@example.test" in page.text
    identity = db.session.scalar(select(Identity))
    assert identity.user_id == owner.id and identity.sub == "gil-at-work"

    _, again = sign_in_in_browser("gil-at-work")  # the linked identity signs in as gil
    assert again.url == f"{SIGNET}/files"
    assert db.session.scalar(select(User.id).where(User.email == "gil-at-work@example.test")) \
        is None

    page = browser.post(f"{SIGNET}/profile/identities/{identity.id}/unlink", headers=HTML,
                        data={"csrf_token": browser.cookies["csrf_access_token"],
                              "current_password": DEFAULT_PASSWORD,
                              "next": "/profile?notice=identity_unlinked"})
    assert page.status_code == 200 and "was unlinked" in page.text
    db.session.expire_all()
    assert db.session.scalar(select(Identity)) is None
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("identity.%")).order_by(AuditEvent.id)).all()
    assert actions == ["identity.linked", "identity.unlinked"]


def test_totp_asks_its_code_after_the_provider(signet, users):
    owner = users.create(email="hal@example.com")
    token = requests.post(f"{SIGNET}/api/v1/auth/login", timeout=10, json={
        "email": "hal@example.com", "password": DEFAULT_PASSWORD}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    setup = requests.post(f"{SIGNET}/api/v1/auth/mfa/totp", headers=bearer, timeout=10,
                          json={"current_password": DEFAULT_PASSWORD}).json()
    authenticator = Authenticator(setup["secret"])
    assert requests.post(f"{SIGNET}/api/v1/auth/mfa/totp/confirm", headers=bearer, timeout=10,
                         json={"code": authenticator.code()}).ok
    db.session.add(Identity(user_id=owner.id, provider="local", issuer=settings_of(
        signet).federation.providers[0].issuer, sub="hal"))
    db.session.commit()

    browser, page = sign_in_in_browser("hal")
    assert page.status_code == 200 and 'name="mfa_token"' in page.text
    assert "access_token_cookie" not in browser.cookies
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', page.text).group(1)
    page = browser.post(f"{SIGNET}/api/v1/auth/login/mfa", headers=HTML, data={
        "mfa_token": mfa_token, "code": authenticator.code(), "next": "/profile"})
    assert page.url == f"{SIGNET}/profile"
    methods = db.session.scalars(select(UserSession.auth_methods)
                                 .order_by(UserSession.id.desc())).first()
    assert "fed" in methods and "otp" in methods


@pytest.mark.browser
def test_chromium_signs_in_with_the_provider_button(signet, chromium):
    context = chromium.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{SIGNET}/login")
        page.click("#provider-local")  # the "Local ID" button under the sign-in form
        page.wait_for_url(re.compile(r"/interaction/"))
        page.fill("input[name=login]", "ivy")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        page.wait_for_url(f"{SIGNET}/profile")
        assert page.inner_text("#profile-name") == "ivy"
        assert "local" in page.inner_text("#identity-list")
        names = {cookie["name"] for cookie in context.cookies(SIGNET)}
        assert {"access_token_cookie", "csrf_access_token"} <= names
        assert "signet_provider_flow" not in names  # spent at the callback
    finally:
        context.close()
