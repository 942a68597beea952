"""Browser pages for mailed links: GET shows a form and never uses the token; POST does."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.account.models import EmailToken
from app.extensions import db
from tests.factories import DEFAULT_PASSWORD

HTML = {"Accept": "text/html"}


def reset_token(client, mailbox) -> str:
    client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"},
                buffered=True)
    return mailbox.one().token


def used_at():
    return db.session.scalar(sa.select(EmailToken.used_at)
                             .execution_options(populate_existing=True))


def test_sign_in_page_links_to_forgot_password(client):
    page = client.get("/login").get_data(as_text=True)

    assert 'href="/forgot-password"' in page


def test_forgot_password_page_posts_the_address(client):
    page = client.get("/forgot-password").get_data(as_text=True)

    assert 'action="/api/v1/auth/password/forgot"' in page and 'name="email"' in page
    assert 'value="/login?notice=reset_sent"' in page


@pytest.mark.parametrize(("path", "action"), [
    ("/reset-password", "/api/v1/auth/password/reset"),
    ("/verify-email", "/api/v1/auth/verify-email"),
    ("/confirm-email", "/api/v1/auth/email/change/confirm"),
])
def test_a_link_page_holds_the_token_in_a_form_and_is_never_cached(
        client, user, mailbox, path, action):
    token = reset_token(client, mailbox)

    for _ in range(3):  # a mail scanner, a link preview, the visitor
        response = client.get(f"{path}?token={token}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        page = response.get_data(as_text=True)
        assert f'action="{action}"' in page
        assert f'name="token" value="{token}"' in page
    assert used_at() is None


@pytest.mark.parametrize("query", ["", "?token=", "?token=" + "x" * 129])
def test_a_link_page_without_a_usable_token_says_so(client, query):
    page = client.get(f"/reset-password{query}").get_data(as_text=True)

    assert "This link is incomplete" in page and 'name="token"' not in page


def test_a_token_is_escaped_into_the_page(client):
    page = client.get('/verify-email?token="><script>x</script>').get_data(as_text=True)

    assert "<script>x" not in page and "&#34;&gt;&lt;script&gt;" in page


def test_the_reset_form_post_redirects_to_sign_in(client, user, mailbox):
    token = reset_token(client, mailbox)

    response = client.post("/api/v1/auth/password/reset", headers=HTML, data={
        "token": token, "new_password": "a brand new secret",
        "next": "/login?notice=password_reset"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/login?notice=password_reset"
    assert used_at() is not None
    notice = client.get("/login?notice=password_reset").get_data(as_text=True)
    assert "Your password was changed." in notice


def test_a_bad_token_form_post_shows_the_error_page(client):
    response = client.post("/api/v1/auth/verify-email", headers=HTML,
                           data={"token": "garbage", "next": "/login?notice=email_verified"})

    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "This link is invalid or has expired" in response.get_data(as_text=True)


def test_forgot_form_post_redirects_with_the_same_notice_for_anyone(client, user):
    answers = [client.post("/api/v1/auth/password/forgot", headers=HTML, data={
        "email": email, "next": "/login?notice=reset_sent"}, buffered=True) for email in (
        "ada@example.com", "nobody@example.com")]

    assert [(r.status_code, r.headers["Location"]) for r in answers] == [
        (303, "/login?notice=reset_sent")] * 2


def test_email_pages_work_for_a_signed_in_visitor_too(client, user, mailbox):
    login = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": "ada@example.com", "password": DEFAULT_PASSWORD, "next": "/profile"})
    assert login.status_code == 303

    page = client.get("/forgot-password").get_data(as_text=True)

    assert re.search(r'action="/api/v1/auth/password/forgot"', page)
