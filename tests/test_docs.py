"""OpenAPI document and the offline Swagger UI."""

from __future__ import annotations

import pytest
import requests


def test_openapi_document_declares_bearer_auth_and_problem_errors(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    me = spec["paths"]["/api/v1/auth/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert list(me["responses"]["401"]["content"]) == ["application/problem+json"]
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]


def test_the_document_says_what_the_service_is_and_where_the_pages_are(client):
    spec = client.get("/openapi.json").get_json()

    assert "Authorization: Bearer" in spec["info"]["description"]
    assert "browser pages" in spec["info"]["description"]


def test_the_document_lists_the_api_and_not_the_browser_pages(app, client):
    spec = client.get("/openapi.json").get_json()
    page_rules = {rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("web.")}

    assert {"/login", "/profile", "/profile/delete"} <= page_rules
    assert not [path for path in spec["paths"] if path.startswith("/profile")
                or path in {"/", "/login", "/register", "/files"}]
    # /.well-known/jwks.json is API (other services fetch it); the OpenID Provider's
    # protocol endpoints are described by its discovery document instead.
    assert {path.split("/")[1] for path in spec["paths"]} == {
        "api", "docs", "openapi.json", "healthz", "readyz", ".well-known"}
    assert "web" not in {tag["name"] for tag in spec["tags"]}


def test_register_documents_the_optional_admin_token(client):
    # Admins register users (and choose roles) with their token; anyone may without one.
    spec = client.get("/openapi.json").get_json()
    assert spec["paths"]["/api/v1/auth/register"]["post"]["security"] == [
        {}, {"bearerAuth": []}]


def test_register_body_is_documented_in_three_encodings_with_a_file_input(client):
    spec = client.get("/openapi.json").get_json()
    body = spec["paths"]["/api/v1/auth/register"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/x-www-form-urlencoded",
                         "application/json"}
    schema = spec["components"]["schemas"]["RegisterForm"]["properties"]
    assert schema["profile_image"]["type"] == "string"
    assert schema["profile_image"]["format"] == "binary"


def test_docs_page_loads_swagger_ui_from_this_server_only(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "/openapi.json" in html
    assert "http://" not in html and "https://" not in html  # no CDN


@pytest.mark.parametrize("asset,mimetype", [
    ("swagger-ui-bundle.js", "text/javascript"),
    ("swagger-ui-standalone-preset.js", "text/javascript"),
    ("swagger-ui.css", "text/css"),
])
def test_swagger_ui_assets_are_served_from_the_pinned_package(client, asset, mimetype):
    response = client.get(f"/docs/assets/{asset}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert len(response.get_data()) > 1000


@pytest.mark.parametrize("asset", ["index.html", "../__init__.py", "swagger-ui.js.map"])
def test_only_the_listed_assets_are_served(client, asset):
    assert client.get(f"/docs/assets/{asset}").status_code == 404


def test_docs_page_runs_no_inline_script_under_a_strict_policy(client):
    page = client.get("/docs")
    html = page.get_data(as_text=True)

    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    # Every <script> has a src on this server: nothing inline for the policy to allow.
    assert html.count("<script") == html.count('<script src="/') == 3
    init = client.get("/static/swagger-init.js")
    assert init.status_code == 200 and b"SwaggerUIBundle" in init.get_data()


def test_the_bundle_is_swagger_ui_5(client):
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)
    assert '"5.31.0"' in bundle
    assert "4.15.5" not in bundle


@pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/docs/assets/swagger-ui.css"])
def test_docs_enabled_false_turns_the_docs_off(app_config, path):
    from app import create_app

    app_config["DOCS_ENABLED"] = False
    client = create_app(app_config).test_client()

    assert client.get(path).status_code == 404
    assert client.get("/healthz").status_code == 200


@pytest.mark.live
def test_gunicorn_does_not_announce_itself(live_server):
    server = live_server(workers=1)

    for path in ("/healthz", "/docs", "/nope"):
        response = requests.get(f"{server.url}{path}", timeout=10)
        assert "Server" not in response.headers, path
        assert response.headers["Date"]  # the other default headers are still written
