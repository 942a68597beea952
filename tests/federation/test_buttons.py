"""The provider buttons under the sign-in and registration forms."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.settings import replace_settings

HTML = {"Accept": "text/html"}


@pytest.fixture
def provider(app):
    replace_settings(app, AUTH_PROVIDERS="acme", AUTH_PROVIDER_ACME_ISSUER="https://id.example.test",
                     AUTH_PROVIDER_ACME_CLIENT_ID="signet", AUTH_PROVIDER_ACME_NAME="Acme ID")


def test_no_provider_no_buttons(client):
    assert 'id="provider-buttons"' not in client.get("/login", headers=HTML).get_data(as_text=True)


@pytest.mark.parametrize("page", ["/login", "/register"])
@pytest.mark.parametrize(("asked", "expected"), [
    (None, "/profile"),
    # The OpenID Provider sends a signed-out browser to sign in and back to authorize.
    ("/oauth/authorize?client_id=app&state=s1", "/oauth/authorize?client_id=app&state=s1"),
    ("https://elsewhere.example/", "/profile"),  # same-site paths only
])
def test_a_button_goes_back_where_the_sign_in_was_asked_for(client, provider, page, asked,
                                                             expected):
    response = client.get(page, headers=HTML, query_string={"next": asked} if asked else None)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    button = re.search(r'id="provider-acme"\s+href="([^"]+)">Acme ID<', body)
    assert button, body
    url = urlsplit(html.unescape(button.group(1)))
    assert url.path == "/api/v1/auth/providers/acme/start"
    assert parse_qs(url.query)["next"] == [expected]
