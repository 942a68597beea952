"""Every call to a provider, through Authlib (OAuth 2 client, PKCE) and joserfc (JWS/JWT).

Discovery documents and key sets are kept per process; a token signed with a key id the
kept set lacks fetches the set again (at most once a second: a stream of made-up `kid`s
cannot make this service hammer the provider). Each call has a timeout, follows no
redirect and reads at most MAX_RESPONSE_BYTES; it goes only to the configured issuer's
discovery document, the endpoints that document names, or GitHub's configured addresses.
Failures become domain errors: unreachable or slow is 503, nonsense is 502, a token that
does not verify is 401 — never a 500.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken, IDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from app.exceptions import InvalidProviderToken, ProviderBroken, ProviderUnavailable
from app.federation.settings import Provider, timeout

log = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 512 * 1024
DISCOVERY_TTL_SECONDS = 3600
KEYS_REFETCH_SECONDS = 1.0
# Clock differences between us and the provider (iat, exp): two minutes, as Authlib does.
LEEWAY_SECONDS = 120
# RS256 and friends: what OpenID providers sign ID tokens with. Never "none" or HS*.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA"]
_cache: dict[str, tuple[float, dict]] = {}
_keys: dict[str, tuple[float, KeySet]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ProviderUser:
    """Who the provider says signed in: the identity and what it vouches for."""

    issuer: str
    sub: str
    email: str | None
    email_verified: bool
    name: str | None


def forget_cached(provider: Provider | None = None) -> None:
    """Drop kept discovery documents and key sets (all, or one provider's)."""
    with _lock:
        for cache in (_cache, _keys):
            for key in list(cache):
                if provider is None or key.startswith(f"{provider.id}:"):
                    del cache[key]


def _fetch(method: str, url: str, **kwargs) -> requests.Response:
    try:
        response = requests.request(method, url, timeout=timeout(), allow_redirects=False,
                                    stream=True, **kwargs)
        body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    except requests.Timeout:
        raise ProviderUnavailable("The sign-in provider did not answer in time.") from None
    except requests.RequestException as error:
        log.warning("provider call failed: %s %s: %s", method, url, type(error).__name__)
        raise ProviderUnavailable("The sign-in provider cannot be reached.") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise ProviderBroken("The sign-in provider's answer was too large.")
    response._content = body  # read once, bounded; .json() reads from here
    return response


def _json(response: requests.Response, what: str) -> dict | list:
    if response.status_code != 200:
        log.warning("provider answered %s to the %s request", response.status_code, what)
        raise ProviderBroken(f"The sign-in provider refused the {what} request.")
    try:
        return json.loads(response.content)
    except ValueError:
        raise ProviderBroken(f"The sign-in provider's {what} answer is not JSON.") from None


def metadata(provider: Provider) -> dict:
    """The issuer's discovery document, kept an hour; its issuer must be the configured one."""
    key = f"{provider.id}:discovery"
    kept = _cache.get(key)
    if kept and time.monotonic() - kept[0] < DISCOVERY_TTL_SECONDS:
        return kept[1]
    document = _json(_fetch("GET", f"{provider.issuer}/.well-known/openid-configuration"),
                     "discovery")
    if not isinstance(document, dict) or \
            str(document.get("issuer", "")).rstrip("/") != provider.issuer:
        raise ProviderBroken("The sign-in provider's discovery document names another issuer.")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        _check_endpoint(provider, document.get(name))
    with _lock:
        _cache[key] = (time.monotonic(), document)
    return document


def _check_endpoint(provider: Provider, url) -> None:
    # An https issuer's endpoints are https too: never a downgrade to plain HTTP.
    parts = urlsplit(url) if isinstance(url, str) else None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or (urlsplit(provider.issuer or "").scheme == "https" and parts.scheme != "https")):
        raise ProviderBroken("The sign-in provider's discovery document lacks an endpoint.")


def _key_set(provider: Provider, *, refresh: bool) -> KeySet:
    key = f"{provider.id}:jwks"
    kept = _keys.get(key)
    if kept and (not refresh or time.monotonic() - kept[0] < KEYS_REFETCH_SECONDS):
        return kept[1]
    document = _json(_fetch("GET", metadata(provider)["jwks_uri"]), "key set")
    try:
        key_set = KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderBroken("The sign-in provider's key set cannot be read.") from None
    with _lock:
        _keys[key] = (time.monotonic(), key_set)
    return key_set


def verify_id_token(provider: Provider, id_token: str, *, nonce: str | None,
                    access_token: str | None = None) -> ProviderUser:
    """Check an ID token's signature (JWKS) and claims (iss, aud, exp, iat, nonce)."""
    document = metadata(provider)
    registry = JWSRegistry(algorithms=ALGORITHMS)
    try:
        try:
            token = jwt.decode(id_token, _key_set(provider, refresh=False), registry=registry)
        except InvalidKeyIdError:  # the provider may have rotated its keys: look again
            token = jwt.decode(id_token, _key_set(provider, refresh=True), registry=registry)
        audience = token.claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        client_id = next((a for a in audiences if a in provider.audiences), provider.client_id)
        claims_cls = CodeIDToken if access_token else IDToken
        claims = claims_cls(
            token.claims, token.header,
            {"iss": {"essential": True, "value": document["issuer"]},
             "aud": {"essential": True, "values": list(provider.audiences)},
             "nonce": {"essential": nonce is not None}},
            {"nonce": nonce, "client_id": client_id, "access_token": access_token})
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError) as error:
        log.info("ID token of %s refused: %s", provider.id, type(error).__name__)
        raise InvalidProviderToken(_token_problem(error)) from None
    if nonce is None and "nonce" in claims:
        raise InvalidProviderToken("The ID token carries a nonce: send it with the token.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= 191:
        raise InvalidProviderToken("The ID token's subject is not usable.")
    email = claims.get("email")
    return ProviderUser(issuer=document["issuer"], sub=sub,
                        email=email if isinstance(email, str) else None,
                        email_verified=claims.get("email_verified") is True,
                        name=claims.get("name") if isinstance(claims.get("name"), str) else None)


def _token_problem(error: Exception) -> str:
    name = getattr(error, "claim", None) or getattr(error, "error", None)
    if isinstance(error, InvalidKeyIdError) or "signature" in type(error).__name__.lower():
        return "The ID token's signature does not verify with the provider's keys."
    if name in {"iss", "aud", "exp", "iat", "nonce", "azp", "nbf"}:
        return f"The ID token's `{name}` claim is wrong or expired."
    return "The ID token is not valid."


def _session(provider: Provider, redirect_uri: str | None = None) -> OAuth2Session:
    return OAuth2Session(provider.client_id, provider.client_secret, scope=provider.scopes,
                         redirect_uri=redirect_uri, code_challenge_method="S256",
                         default_timeout=timeout())


def authorization_url(provider: Provider, *, redirect_uri: str, state: str, nonce: str,
                      code_verifier: str) -> str:
    """The provider's sign-in page for this flow (state, nonce, PKCE S256)."""
    endpoint = (f"{provider.github_url}/login/oauth/authorize" if provider.is_github
                else metadata(provider)["authorization_endpoint"])
    extra = {} if provider.is_github else {"nonce": nonce}
    with _session(provider, redirect_uri) as session:
        url, _ = session.create_authorization_url(endpoint, state=state,
                                                  code_verifier=code_verifier, **extra)
    return url


def exchange_code(provider: Provider, *, code: str, redirect_uri: str,
                  code_verifier: str) -> dict:
    """Trade the authorization code (with the PKCE verifier) for the provider's tokens."""
    endpoint = (f"{provider.github_url}/login/oauth/access_token" if provider.is_github
                else metadata(provider)["token_endpoint"])
    try:
        with _session(provider, redirect_uri) as session:
            token = session.fetch_token(endpoint, code=code, code_verifier=code_verifier,
                                        headers={"Accept": "application/json"},
                                        allow_redirects=False)
    except requests.Timeout:
        raise ProviderUnavailable("The sign-in provider did not answer in time.") from None
    except requests.JSONDecodeError:
        raise ProviderBroken("The sign-in provider's token answer is not JSON.") from None
    except requests.RequestException:
        raise ProviderUnavailable("The sign-in provider cannot be reached.") from None
    except (OAuthError, ValueError, KeyError, TypeError) as error:  # an error answer
        log.warning("token request to %s failed: %s", provider.id, type(error).__name__)
        raise ProviderBroken("The sign-in provider refused the code it had just "
                             "issued; start again.") from None
    if not isinstance(token, dict) or not token.get("access_token"):
        raise ProviderBroken("The sign-in provider answered no token.")
    return dict(token)


def github_user(provider: Provider, access_token: str) -> ProviderUser:
    """GitHub's user (`id`) and its primary verified email, from GitHub's API."""
    headers = {"Authorization": f"Bearer {access_token}",
               "Accept": "application/vnd.github+json"}
    user = _json(_fetch("GET", f"{provider.github_api_url}/user", headers=headers), "user")
    emails = _json(_fetch("GET", f"{provider.github_api_url}/user/emails", headers=headers),
                   "email")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) \
            or not isinstance(emails, list):
        raise ProviderBroken("GitHub's answer about the user cannot be read.")
    verified = [entry for entry in emails if isinstance(entry, dict)
                and entry.get("verified") is True and isinstance(entry.get("email"), str)]
    chosen = next((e for e in verified if e.get("primary")), verified[0] if verified else None)
    name = user.get("name") or user.get("login")
    return ProviderUser(issuer=provider.identity_issuer, sub=str(user["id"]),
                        email=chosen["email"] if chosen else None,
                        email_verified=chosen is not None,
                        name=name if isinstance(name, str) else None)
