"""The OpenAPI document describes exactly the app's routes, with codes they can return.

Works on whatever routes exist: every rule of app.url_map (other than static files and
Swagger UI's assets) must be documented, and every documented operation must exist. Each
documented status code must be possible for its route, judged from what the route is
(its security, parameters, body, method, rate limits) and, for 401 and 404, by calling it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app.extensions import limiter

# Static files, Swagger UI's assets, the development inbox (/dev/mail, never mounted in
# production) and the browser pages (the `web` blueprint: HTML for people, and the form
# posts behind them; `oauth_pages`: the profile page's form revoking an application) are no
# part of the API. Nor is the OpenID Provider's protocol (`oauth`): OAuth 2 / OpenID
# Connect, described by its own discovery document (checked below), not problem+json.
UNDOCUMENTED_ENDPOINTS = re.compile(
    r"^(static|.*\.static|docs_assets\..*|dev_mail\..*|web\..*|oauth_pages\..*|oauth\..*)$")
DISCOVERY = "/.well-known/openid-configuration"
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
# 502: a sign-in provider answered nonsense (contract, "Signing in with another provider").
CONTRACT_CODES = {200, 201, 202, 204, 206, 302, 303, 304, 400, 401, 403, 404, 405, 409, 413, 415,
                  416, 422, 429, 500, 502, 503}
# Routes that may answer 401 with no security scheme: a token read only when one is sent
# (an admin registering someone), bad credentials at login, a bad mfa_token, code or
# passkey in the body of the login's second step.
SIGN_IN_STEPS = {("post", "/api/v1/auth/login/mfa"),
                 ("post", "/api/v1/auth/passkeys/login/verify"),
                 # a provider's sign-in: refused, replayed or a token that does not verify
                 ("get", "/api/v1/auth/providers/{provider_id}/callback"),
                 ("post", "/api/v1/auth/providers/{provider_id}/id-token")}
OPTIONAL_TOKEN = {("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/login"),
                  *SIGN_IN_STEPS}
# Routes that refuse without a token of their own: registration (self-registration off,
# or a role asked for), login (deactivated account) and its further steps (a browser form
# from another site).
FORBIDDEN_WITHOUT_TOKEN = {("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/login"),
                           *SIGN_IN_STEPS}
MISSING_ID = "987654321"


def openapi_path(rule: str) -> str:
    """Flask's `/users/<int:user_id>` as OpenAPI's `/users/{user_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def routed_operations(app) -> dict[tuple[str, str], object]:
    """(method, OpenAPI path) -> Flask rule, for every documented-worthy route."""
    operations = {}
    for rule in app.url_map.iter_rules():
        if UNDOCUMENTED_ENDPOINTS.match(rule.endpoint):
            continue
        for method in sorted((rule.methods or set()) - IMPLICIT_METHODS):
            operations[(method.lower(), openapi_path(rule.rule))] = rule
    return operations


@pytest.fixture
def spec(client) -> dict:
    """The OpenAPI document as a client downloads it."""
    return client.get("/openapi.json").get_json()


def documented_operations(spec: dict) -> dict[tuple[str, str], dict]:
    """(method, path) -> operation object of the OpenAPI document."""
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def codes(operation: dict) -> set[int]:
    """The numeric status codes an operation documents (not `default`)."""
    return {int(code) for code in operation["responses"] if code.isdigit()}


def test_every_route_is_documented(app, spec):
    missing = sorted(set(routed_operations(app)) - set(documented_operations(spec)))
    assert not missing, f"routes missing from /openapi.json: {missing}"


def test_every_protocol_route_is_in_the_discovery_document(app, client):
    """The routes left out of OpenAPI as the OpenID Provider's are the ones it announces."""
    metadata = client.get(DISCOVERY).get_json()
    announced = {DISCOVERY} | {urlsplit(value).path for name, value in metadata.items()
                               if name.endswith("_endpoint")}
    protocol = {rule.rule for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith("oauth.")}
    assert {"/oauth/authorize", "/oauth/token", "/oauth/logout"} <= protocol
    assert protocol == announced


def test_every_documented_operation_is_a_route(app, spec):
    phantom = sorted(set(documented_operations(spec)) - set(routed_operations(app)))
    assert not phantom, f"/openapi.json documents operations the app has not: {phantom}"


def test_the_check_sees_the_routes_that_matter(app):
    operations = routed_operations(app)
    assert ("post", "/api/v1/auth/register") in operations
    assert ("get", "/api/v1/users/{user_id}") in operations
    assert ("get", "/docs") in operations and ("get", "/openapi.json") in operations
    assert not any(path.startswith("/docs/assets") for _, path in operations)


def _body_properties(operation: dict, spec: dict) -> dict:
    content = operation.get("requestBody", {}).get("content", {})
    properties: dict = {}
    for media in content.values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        properties.update(schema.get("properties", {}))
    return properties


def _is_rate_limited(app, rule, method: str) -> bool:
    view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
    if view_class is None:
        return False
    name = f"{view_class.__module__}.{method}.{view_class.__qualname__}.{method}"
    return bool(limiter.limit_manager.decorated_limits(name)) or bool(
        limiter.limit_manager.application_limits)


def _impossible_codes(app, spec, method: str, path: str, operation: dict, rule) -> dict:
    """Documented codes that this kind of route cannot answer, with the reason."""
    secured = bool(operation.get("security"))
    has_params = bool(operation.get("parameters")) or "{" in path
    body = _body_properties(operation, spec)
    takes_file = any(p.get("format") == "binary" for p in body.values())
    rules = {
        201: method == "post",
        202: method == "post",
        204: method in {"post", "put", "patch", "delete"},
        206: method == "get",
        302: method == "get",
        416: method == "get",
        304: method == "get",
        303: "text/html" in str(operation.get("responses", {}).get("200", {})),
        400: "requestBody" in operation or has_params,
        401: secured or (method, path) in OPTIONAL_TOKEN,
        403: secured or (method, path) in FORBIDDEN_WITHOUT_TOKEN,
        404: "{" in path,
        # A provider's callback is a GET that signs in, and may meet an existing account.
        409: method in {"post", "put", "patch", "delete"} or (method, path) in SIGN_IN_STEPS,
        413: "requestBody" in operation,
        415: takes_file or "requestBody" in operation,
        422: "requestBody" in operation or has_params,
        429: _is_rate_limited(app, rule, method),
    }
    return {code: f"{code} is impossible here" for code in codes(operation)
            if code not in CONTRACT_CODES or not rules.get(code, True)}


def test_documented_codes_fit_their_routes(app, spec):
    routes = routed_operations(app)
    wrong = {}
    for (method, path), operation in documented_operations(spec).items():
        if (method, path) not in routes:
            continue
        impossible = _impossible_codes(app, spec, method, path, operation, routes[method, path])
        if impossible:
            wrong[f"{method.upper()} {path}"] = impossible
    assert not wrong, wrong


def test_secured_routes_document_401_and_answer_it_without_a_token(app, client, spec):
    wrong = {}
    for (method, path), operation in documented_operations(spec).items():
        # `{}` among the schemes: the token is optional (anonymous callers are served).
        if not operation.get("security") or {} in operation["security"]:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        status = client.open(url, method=method.upper()).status_code
        if status != 401 or 401 not in codes(operation):
            wrong[f"{method.upper()} {path}"] = status
    assert not wrong, f"secured routes that do not document or answer 401: {wrong}"


def test_open_routes_ignore_a_bad_bearer_token(app, client, spec):
    """A route that documents no 401 must never answer 401, whatever token is sent."""
    wrong = {}
    for (method, path), operation in documented_operations(spec).items():
        if 401 in codes(operation):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.open(url, method=method.upper(),
                               headers={"Authorization": "Bearer not-a-token"})
        if response.status_code == 401:
            wrong[f"{method.upper()} {path}"] = 401
    assert not wrong, f"routes answering an undocumented 401: {wrong}"


def test_documented_404s_are_answered_for_an_unknown_id(app, client, spec, admin,
                                                        auth_headers):
    headers = auth_headers(admin)
    wrong = {}
    for (method, path), operation in documented_operations(spec).items():
        if 404 not in codes(operation) or "{" not in path:
            continue
        url = re.sub(r"\{[^}]+\}", MISSING_ID, path)
        status = client.open(url, method=method.upper(), headers=headers, json={}).status_code
        if status != 404:
            wrong[f"{method.upper()} {path}"] = status
    assert not wrong, f"documented 404 not answered for an unknown id: {wrong}"


def test_the_checks_catch_an_undocumented_route_and_impossible_codes(app, client):
    app.add_url_rule("/_undocumented", "undocumented", lambda: "x")
    spec = client.get("/openapi.json").get_json()
    assert ("get", "/_undocumented") in set(routed_operations(app)) - set(
        documented_operations(spec))
    health = routed_operations(app)[("get", "/healthz")]
    made_up = {"responses": {"200": {}, "201": {}, "404": {}, "418": {}}}
    assert set(_impossible_codes(app, spec, "get", "/healthz", made_up, health)) == {
        201, 404, 418}
