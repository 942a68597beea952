"""Signet: user accounts and file storage as a Flask service."""

from __future__ import annotations

import inspect
import sqlite3
import types

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import models  # noqa: F401 - every table must be known to Alembic
from app.account.email_routes import blp as email_blp
from app.account.email_routes import invitations_blp
from app.account.routes import blp as account_blp
from app.after_response import init_after_response
from app.api import forbid_caching_of_credentialed_json
from app.audit.routes import blp as audit_blp
from app.auth.devices import init_login_devices
from app.auth.routes import blp as auth_blp
from app.auth.tokens import register_jwt_callbacks
from app.cli import register_cli
from app.db_driver import install as install_db_driver
from app.docs import init_docs
from app.errors import register_error_handlers
from app.extensions import api, bcrypt, db, jwt, limiter, migrate
from app.federation.routes import blp as federation_blp
from app.files.quota import register_storage_account
from app.files.routes import blp as files_blp
from app.files.service import register_sharing_rule
from app.health import blp as health_blp
from app.json_provider import OrjsonProvider
from app.keys.init import init_keys
from app.keys.routes import blp as keys_blp
from app.mail import init_mail
from app.mfa.passkey_routes import blp as passkeys_blp
from app.mfa.routes import blp as mfa_blp
from app.mfa.tokens import mfa_token_subject
from app.oauth_server import init_oauth_server
from app.ratelimit import drop_limiter_middleware, register_mfa_token_subject, trust_proxies
from app.request import NoSessionInterface, SignetRequest, guard_input
from app.request_id import init_request_id
from app.session_events import register_session_listeners
from app.sessions.routes import blp as sessions_blp
from app.sessions.service import started_at as session_started_at
from app.settings import init_settings, settings_of
from app.settings.base import INSTANCE_DIR
from app.storage import init_storage
from app.tokens.personal_tokens import init_personal_tokens
from app.tokens.revocation import init_revocation_store
from app.tokens.routes import blp as tokens_blp
from app.users.profile import is_profile_image
from app.users.quota import STORAGE_ACCOUNT
from app.users.reauth import register_session_start
from app.users.routes import blp as users_blp
from app.web import init_web

PLAIN_CALLABLES = (types.FunctionType, types.MethodType)
API_DESCRIPTION = (
    "User accounts (registration with a profile image, sign-in with JWTs, sessions, personal "
    "tokens, two-factor sign-in, admin roles) and file storage. Send `Authorization: Bearer "
    "<access token>` from `POST /api/v1/auth/login`; every error is RFC 9457 problem+json. "
    "The server-rendered browser pages (/login, /profile, /files, /admin...) are HTML for "
    "people, not part of the API, and are not listed here.")


class Signet(Flask):
    """Flask, with a cheaper answer to "is this hook a coroutine?" and orjson's encoder."""

    json_provider_class = OrjsonProvider

    def ensure_sync(self, func):
        """Return a plain sync function as it is, without inspect's unwrapping.

        Flask asks this of every hook and view of every request (14 times for one API
        call), and `inspect.iscoroutinefunction` cost ~2.5 us each time: ~35 us a request.
        Anything else (a coroutine, a partial, a callable object) goes to Flask's own.
        """
        if (type(func) in PLAIN_CALLABLES and not func.__code__.co_flags & inspect.CO_COROUTINE
                and not hasattr(func, "_is_coroutine_marker")):
            return func
        return super().ensure_sync(func)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, CLI."""
    app = Signet(__name__, instance_path=str(INSTANCE_DIR))
    configure(app, overrides or {})
    init_request_id(app)
    guard_input(app)
    trust_proxies(app)
    init_after_response(app)
    init_extensions(app)
    connect_domains(app)
    register_blueprints(app)
    register_error_handlers(app)
    forbid_caching_of_credentialed_json(app)
    register_cli(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    """Build and check the settings once (overrides: env-style names, used by tests)."""
    app.request_class = SignetRequest  # form limits that cover urlencoded bodies too
    app.session_interface = NoSessionInterface()
    init_settings(app, overrides)  # also copies the extensions' keys into app.config
    app.config["API_SPEC_OPTIONS"] = {
        "info": {"description": API_DESCRIPTION},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def init_extensions(app: Flask) -> None:
    """Bind the extension objects of app.extensions to this app."""
    db.init_app(app)
    register_session_listeners()
    with app.app_context():
        install_db_driver(db.engine, ping_after_idle=settings_of(app).db.ping_after_idle)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    bcrypt.init_app(app)
    jwt.init_app(app)
    register_jwt_callbacks(jwt)
    api.init_app(app)
    limiter.init_app(app)
    drop_limiter_middleware(app)
    init_storage(app)
    init_revocation_store(app)
    init_mail(app)
    init_personal_tokens(app)
    init_keys(app)


def connect_domains(app: Flask) -> None:
    """Hand lower domains the rules that higher ones own (files know no users)."""
    register_sharing_rule(app, is_profile_image)  # anyone signed in sees profile images
    register_storage_account(app, STORAGE_ACCOUNT)  # usage and quota kept per user
    init_login_devices(app)  # the login limits recognise devices signed in before
    register_session_start(app, session_started_at)  # a recent sign-in, for users.reauth
    register_mfa_token_subject(app, mfa_token_subject)  # wrong codes counted per account


def register_blueprints(app: Flask) -> None:
    """Mount every blueprint; smorest adds each to the OpenAPI document."""
    for blueprint in (health_blp, auth_blp, federation_blp, account_blp, sessions_blp,
                      tokens_blp, email_blp, mfa_blp, passkeys_blp, users_blp, invitations_blp,
                      files_blp, audit_blp, keys_blp):
        api.register_blueprint(blueprint)
    init_docs(app, api)
    init_web(app, api)
    init_oauth_server(app, api)


@event.listens_for(Engine, "connect")
def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores ON DELETE SET NULL unless foreign keys are switched on per connection.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
