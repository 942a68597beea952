"""Browsers get error pages in the site's layout; API clients keep problem+json exactly."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_unknown_page_is_an_html_404_for_a_browser(client):
    response = client.get("/no-such-page", headers=HTML)

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<title>Page not found · Signet</title>" in body
    assert 'class="topbar"' in body and "about:blank" not in body
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("headers", [
    {}, {"Accept": "*/*"}, {"Accept": "application/json"},
    {"Accept": "application/problem+json"}, {"Accept": "application/json, text/html;q=0.5"},
])
def test_api_clients_keep_problem_json(client, headers):
    assert_problem(client.get("/no-such-page", headers=headers), 404)
    assert_problem(client.delete("/login", headers=headers), 405)


def test_wrong_method_is_an_html_405_that_keeps_allow(client):
    response = client.delete("/login", headers=HTML)

    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"]


def test_rate_limited_browser_is_told_how_long_to_wait(app):
    from werkzeug.exceptions import TooManyRequests

    @app.get("/test-throttled")
    def throttled():
        raise TooManyRequests(retry_after=90)

    response = app.test_client().get("/test-throttled", headers=HTML)

    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "90"
    assert "Try again in 2 minutes." in response.get_data(as_text=True)


def test_unexpected_error_is_an_html_500_without_details(app):
    @app.get("/test-broken")
    def broken():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/test-broken", headers=HTML)

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "secret internals" not in body


def test_error_page_shows_the_signed_in_top_bar(client, user):
    client.post("/api/v1/auth/login", headers=HTML, data={
        "email": "ada@example.com", "password": "correct horse battery", "next": "/profile"})

    body = client.get("/no-such-page", headers=HTML).get_data(as_text=True)

    assert 'id="sign-out"' in body and ">Register<" not in body
