"""The keys Flask and its extensions read from app.config, made from the settings.

Nothing else goes into app.config: the service's own code reads `settings()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.settings.signing import ASYMMETRIC

if TYPE_CHECKING:
    from app.settings.build import Settings

API_TITLE = "Signet"


def flask_config(built: Settings) -> dict[str, Any]:
    """app.config's keys for Flask, Flask-SQLAlchemy, JWT, Bcrypt, Limiter and smorest."""
    return {
        "TESTING": built.app_env == "testing",
        "SECRET_KEY": built.web.secret_key,
        "MAX_CONTENT_LENGTH": built.web.max_content_length,
        "MAX_FORM_MEMORY_SIZE": built.web.max_form_memory_size,
        "MAX_FORM_PARTS": built.web.max_form_parts,
        "SQLALCHEMY_DATABASE_URI": built.db.url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(built.db.url),
        "BCRYPT_LOG_ROUNDS": built.accounts.bcrypt_log_rounds,
        # bcrypt reads 72 bytes at most (and bcrypt 5 raises beyond): pre-hash with
        # SHA-256 so that every character of a long password counts.
        "BCRYPT_HANDLE_LONG_PASSWORDS": True,
        **_jwt_keys(built),
        "RATELIMIT_ENABLED": built.ratelimit.enabled,
        "RATELIMIT_STORAGE_URI": built.ratelimit.storage_uri,
        "RATELIMIT_KEY_PREFIX": built.ratelimit.key_prefix,
        **_openapi_keys(built.web.docs_enabled),
    }


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters: a failed statement's error (and so its logged traceback) names no
    # values; an outbox row's values are mail bodies holding links with tokens.
    if url.startswith("sqlite"):
        # Wait for a writer instead of failing at once when two workers write.
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    # No ping on every checkout: app/db_driver.py pings only connections idle a while.
    return {"pool_recycle": 280, "hide_parameters": True}


def _jwt_keys(built: Settings) -> dict[str, Any]:
    tokens = built.tokens
    return {
        "JWT_SECRET_KEY": tokens.jwt_secret_key,
        "JWT_ALGORITHM": tokens.jwt_algorithm,
        # With published keys, every algorithm a key may have (app/keys matches each token
        # to its key's).
        "JWT_DECODE_ALGORITHMS": [tokens.jwt_algorithm, *(
            ASYMMETRIC if built.signing.access_token_signing in ASYMMETRIC else ())],
        "JWT_ACCESS_TOKEN_EXPIRES": tokens.access_expires,
        "JWT_REFRESH_TOKEN_EXPIRES": tokens.refresh_expires,
        # API clients send "Authorization: Bearer"; the browser pages (app/web) hold the
        # same tokens in HttpOnly cookies, with a CSRF double submit on writes.
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_CHECK_FORM": True,
        "JWT_COOKIE_SAMESITE": "Lax",
        "JWT_COOKIE_SECURE": tokens.cookie_secure,
        "JWT_ERROR_MESSAGE_KEY": "detail",
    }


def _openapi_keys(docs_enabled: bool) -> dict[str, Any]:
    return {
        "API_TITLE": API_TITLE,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        # None: flask-smorest serves neither /docs nor /openapi.json.
        "OPENAPI_URL_PREFIX": "/" if docs_enabled else None,
        "OPENAPI_JSON_PATH": "openapi.json",
        # Swagger UI's assets come from the pinned swagger-ui-bundle-v2 package (app.docs):
        # /docs works with no internet access.
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"deepLinking": True, "displayRequestDuration": True},
    }
