"""Swagger UI at /docs, with its assets served from the pinned swagger-ui-bundle-v2 package.

DOCS_ENABLED=false leaves /docs, its assets and /openapi.json out (404).

flask-smorest renders /docs and /openapi.json; this module serves the JavaScript and CSS
that page loads (no CDN, so /docs works with no internet) and lists both documentation
routes in the OpenAPI document itself, so that every route of the app is described there.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from app.settings import settings_of

# Only the files the page loads: source maps and the package's demo index stay private.
SWAGGER_UI_ASSETS = frozenset({
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-16x16.png",
    "favicon-32x32.png",
})
ASSET_MAX_AGE_SECONDS = 24 * 3600

assets_blp = Blueprint("docs_assets", __name__)


@assets_blp.get("/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    """Serve one Swagger UI asset from the installed package."""
    if filename not in SWAGGER_UI_ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, filename, max_age=ASSET_MAX_AGE_SECONDS)


def init_docs(app: Flask, api: Api) -> None:
    """Serve the Swagger UI assets and describe /openapi.json and /docs in the document."""
    if not settings_of(app).web.docs_enabled:
        return
    app.register_blueprint(assets_blp)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    api.spec.path(rule=rules["api-docs.openapi_json"], operations={"get": {
        "tags": ["docs"],
        "summary": "This OpenAPI 3 document.",
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }})
    api.spec.path(rule=rules["api-docs.openapi_swagger_ui"], operations={"get": {
        "tags": ["docs"],
        "summary": "Swagger UI for this API (works offline).",
        "responses": {"200": {"description": "The Swagger UI page.",
                              "content": {"text/html": {"schema": {"type": "string"}}}}},
    }})
    api.spec.tag({"name": "docs", "description": "The API's own documentation."})
