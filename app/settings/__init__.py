"""The typed settings of the service, built once by `create_app` and read through `settings()`.

`settings().mail.per_address_per_hour` is an int, checked at start-up: no caller converts
or validates a setting again. Only the keys Flask and its extensions read themselves
(SQLALCHEMY_*, JWT_*, RATELIMIT_*, OPENAPI_*, SECRET_KEY, ...) are copied into app.config
(app.settings.flask_keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from app.settings.base import ConfigError
from app.settings.build import Settings, build_settings
from app.settings.flask_keys import flask_config

EXTENSION_KEY = "signet.settings"
# The overrides the app was built with, so `replace_settings` rebuilds on top of them.
OVERRIDES_KEY = "signet.settings.overrides"


def settings() -> Settings:
    """The settings of the running app."""
    return current_app.extensions[EXTENSION_KEY]


def settings_of(app: Flask) -> Settings:
    """The settings of `app` (outside a request or app context)."""
    return app.extensions[EXTENSION_KEY]


def init_settings(app: Flask, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build and check every setting (ConfigError names a wrong one), attach them to `app`."""
    built = build_settings(overrides)
    app.extensions[OVERRIDES_KEY] = dict(overrides or {})
    install(app, built)
    return built


def install(app: Flask, built: Settings) -> None:
    """Make `built` the settings of `app`, and copy the extensions' keys into app.config."""
    app.extensions[EXTENSION_KEY] = built
    app.config.update(flask_config(built))


def replace_settings(app: Flask, **changes: Any) -> Settings:
    """Rebuild `app`'s settings with `changes` (env-style names), checked like at start-up.

    For tests and the shell: what create_app built from the old values (stores, backends,
    blueprints) stays as it was.
    """
    overrides = {**app.extensions[OVERRIDES_KEY], **changes}
    built = build_settings(overrides)
    app.extensions[OVERRIDES_KEY] = overrides  # the next change builds on this one
    install(app, built)
    return built


__all__ = ["ConfigError", "Settings", "build_settings", "init_settings", "install",
           "replace_settings", "settings", "settings_of"]
