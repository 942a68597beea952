"""Signet as an OpenID Provider: other applications offer "Sign in with Signet".

Built on Authlib's OAuth 2 / OpenID Connect server (app.oauth_server.server). ID tokens
are signed with app.keys' current key and verified by anyone with the JWKS.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.oauth_server.api_access import authenticate_app_token
from app.oauth_server.cli import oauth_cli
from app.oauth_server.logout import EndSession
from app.oauth_server.pages import blp as pages_blp
from app.oauth_server.pages import granted_applications
from app.oauth_server.protocol import blp as protocol_blp
from app.oauth_server.routes import blp as api_blp
from app.oauth_server.server import init_server


def init_oauth_server(app: Flask, api: Api) -> None:
    """Mount the provider: protocol endpoints, admin API, pages, CLI, app tokens on the API."""
    init_server(app).register_endpoint(EndSession)
    api.register_blueprint(api_blp)
    app.register_blueprint(protocol_blp)
    app.register_blueprint(pages_blp)
    app.before_request(authenticate_app_token)
    app.add_template_global(granted_applications)
    app.cli.add_command(oauth_cli)
