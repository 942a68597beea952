"""ID-token checks and provider failures, with keys made here and no provider process."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.exceptions import InvalidProviderToken, ProviderBroken, ProviderUnavailable
from app.federation import client
from app.federation.settings import get_provider
from app.settings import replace_settings

ISSUER = "https://id.example.test"
DISCOVERY = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/auth",
             "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks"}


class FakeProvider:
    """Answers the client's GETs from memory and counts them."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
        self.discovery = dict(DISCOVERY)
        self.calls: list[str] = []

    def fetch(self, method: str, url: str, **kwargs) -> requests.Response:
        self.calls.append(url)
        body = self.discovery if url.endswith("openid-configuration") else {
            "keys": [key.as_dict(private=False) for key in self.keys]}
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        return response

    def token(self, key=None, **claims) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "sub": "u-1", "aud": "signet", "iat": now, "exp": now + 300,
                   "email": "u@example.test", "email_verified": True, **claims}
        key = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)


@pytest.fixture
def fake(app, monkeypatch):
    replace_settings(app, AUTH_PROVIDERS="acme", AUTH_PROVIDER_ACME_ISSUER=ISSUER,
                      AUTH_PROVIDER_ACME_CLIENT_ID="signet",
                      AUTH_PROVIDER_ACME_AUDIENCES="mobile-app")
    client.forget_cached()
    provider = FakeProvider()
    monkeypatch.setattr(client, "_fetch", provider.fetch)
    yield provider
    client.forget_cached()


def verify(token: str, nonce: str | None = None):
    return client.verify_id_token(get_provider("acme"), token, nonce=nonce)


def test_a_good_token_names_the_identity_and_the_vouched_email(fake):
    person = verify(fake.token(nonce="n1"), nonce="n1")
    assert (person.issuer, person.sub, person.email, person.email_verified) == (
        ISSUER, "u-1", "u@example.test", True)
    assert verify(fake.token(aud="mobile-app")).sub == "u-1"  # one of …_AUDIENCES


@pytest.mark.parametrize(("claims", "named"), [
    ({"iss": "https://evil.example.test"}, "`iss`"),
    ({"aud": "someone-else"}, "`aud`"),
    ({"exp": int(time.time()) - 3600}, "`exp`"),
    ({"nonce": "other"}, "`nonce`"),
])
def test_wrong_claims_are_401_naming_the_claim(fake, claims, named):
    with pytest.raises(InvalidProviderToken, match=named):
        verify(fake.token(**{"nonce": "n1", **claims}), nonce="n1")


def test_a_token_signed_with_another_key_or_none_is_refused(fake):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(InvalidProviderToken, match="signature"):
        verify(fake.token(key=stranger))
    unsigned = jwt.encode({"alg": "none"}, {"iss": ISSUER, "sub": "x", "aud": "signet"}, None,
                          algorithms=["none"])
    with pytest.raises(InvalidProviderToken):
        verify(unsigned)


def test_an_unknown_kid_fetches_the_keys_again_once(fake):
    verify(fake.token())
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    fake.keys = [rotated]
    time.sleep(client.KEYS_REFETCH_SECONDS)
    assert verify(fake.token(key=rotated)).sub == "u-1"
    assert fake.calls.count(f"{ISSUER}/jwks") == 2
    with pytest.raises(InvalidProviderToken):  # a made-up kid right after: no third fetch
        verify(fake.token(key=RSAKey.generate_key(2048, parameters={"kid": "k3"})))
    assert fake.calls.count(f"{ISSUER}/jwks") == 2


def test_a_discovery_document_of_another_issuer_is_502(fake):
    fake.discovery["issuer"] = "https://other.example.test"
    with pytest.raises(ProviderBroken):
        verify(fake.token())


def test_an_https_issuer_may_not_name_plain_http_endpoints(fake):
    fake.discovery["jwks_uri"] = "http://id.example.test/jwks"
    with pytest.raises(ProviderBroken):
        verify(fake.token())


@pytest.mark.live
def test_a_provider_that_never_answers_is_503_after_the_timeout(app):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never answers
    port = listener.getsockname()[1]
    replace_settings(app, AUTH_PROVIDERS="slow", AUTH_PROVIDER_SLOW_ISSUER=f"http://127.0.0.1:{port}",
                      AUTH_PROVIDER_SLOW_CLIENT_ID="signet", AUTH_PROVIDER_TIMEOUT=0.5)
    client.forget_cached()
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable, match="in time"):
            client.metadata(get_provider("slow"))
    finally:
        listener.close()
    assert time.monotonic() - started < 5


def test_starting_at_a_provider_that_is_down_is_a_503_page_not_a_500(app, client):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    replace_settings(app, AUTH_PROVIDERS="down", AUTH_PROVIDER_DOWN_ISSUER=f"http://127.0.0.1:{port}",
                      AUTH_PROVIDER_DOWN_CLIENT_ID="signet")
    page = client.get("/api/v1/auth/providers/down/start", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "cannot be reached" in page.get_data(as_text=True)
    assert page.mimetype == "text/html" and page.headers["Retry-After"]
    problem = client.get("/api/v1/auth/providers/down/start")
    assert problem.status_code == 503 and problem.mimetype == "application/problem+json"
