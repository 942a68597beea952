"""Mail fixtures: a real SMTP server on loopback, an app that delivers to it."""

from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db as _db
from tests.app_cache import empty_tables
from tests.mail.smtp_server import SmtpServer


@pytest.fixture
def app_config(app_config) -> dict:
    """The delivery tests queue dozens of messages to one address: no per-address cap here
    (tests/account/email/test_mail_cap.py tests the cap)."""
    return {**app_config, "MAIL_PER_ADDRESS_PER_HOUR": 0}


@pytest.fixture
def smtp_server(tmp_path):
    """A plain SMTP server on loopback; `.messages` is what it received."""
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def tls_smtp_server(tmp_path):
    """An SMTP server that requires STARTTLS (self-signed certificate) and a login."""
    server = SmtpServer(tmp_path, security="starttls").start()
    yield server
    server.stop()


@pytest.fixture
def ssl_smtp_server(tmp_path):
    """An SMTPS server (TLS from the first byte, self-signed certificate) with a login."""
    server = SmtpServer(tmp_path, security="ssl").start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app_config):
    """Build an app with extra settings, in its own app context: `mail_app(**settings)`."""
    contexts = []

    def build(**settings):
        application = create_app({**app_config, **settings})
        context = application.app_context()
        context.push()
        contexts.append(context)
        return application

    yield build
    for context in reversed(contexts):
        _db.session.remove()
        empty_tables()
        _db.engine.dispose()
        context.pop()
