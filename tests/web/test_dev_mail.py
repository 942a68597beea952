"""/dev/mail: the development inbox lists and opens what the file backend wrote."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app import create_app
from tests.account.email.mailbox import Mailbox

STRONG = "x" * 48


@pytest.fixture
def delivered(app, client) -> str:
    """Register Ada, deliver her verification message; return the inbox's name for it."""
    response = client.post("/api/v1/auth/register", json={
        "name": "Ada <b>Lovelace</b>", "email": "ada@example.com",
        "password": "correct horse battery"})
    assert response.status_code == 201
    Mailbox(app).new()
    page = client.get("/dev/mail")
    assert page.status_code == 200
    return page.get_data(as_text=True).split('href="/dev/mail/')[1].split('"')[0]


def test_the_inbox_lists_each_message_newest_first(client, delivered):
    page = client.get("/dev/mail").get_data(as_text=True)

    assert "ada@example.com" in page
    assert "Verify your email address for Signet" in page
    assert len(delivered) == 32


def test_a_message_shows_its_text_with_clickable_links(client, delivered):
    response = client.get(f"/dev/mail/{delivered}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<a href="http://localhost:8000/verify-email?token=' in page
    assert "<b>Lovelace</b>" not in page  # the user's text is escaped, never markup


def test_the_html_part_is_served_under_a_policy_that_runs_nothing(client, delivered):
    response = client.get(f"/dev/mail/{delivered}/html")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "verify-email?token=" in response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy


@pytest.mark.parametrize("name", ["0" * 32, "../signet", "..%2F..%2Fconfig", "x" * 32])
def test_unknown_or_foreign_names_are_404(client, name):
    assert client.get(f"/dev/mail/{name}").status_code == 404
    assert client.get(f"/dev/mail/{name}/html").status_code == 404


def test_production_never_routes_the_inbox(app_config):
    production = create_app({**app_config, "APP_ENV": "production", "SECRET_KEY": STRONG,
                             "JWT_SECRET_KEY": STRONG, "MAIL_BACKEND": "file",
                             "SIGNING_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                             "PUBLIC_BASE_URL": "https://signet.example.com"})

    assert production.test_client().get("/dev/mail").status_code == 404
    assert not any(rule.rule.startswith("/dev") for rule in production.url_map.iter_rules())


def test_the_smtp_backend_has_no_inbox(app_config):
    smtp = create_app({**app_config, "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1"})

    assert smtp.test_client().get("/dev/mail").status_code == 404
