"""In real Chromium: forgot password → the link from the received mail → new password → signed in.

The live gunicorn delivers the message itself (its own delivery thread, file backend);
the test reads the .eml it wrote, as the visitor's mail client would, and follows the link.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from tests.account.email.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.live]

NEW_PASSWORD = "a new password from the mail"


def received_link(mailbox: Mailbox, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = mailbox.new()
        if mails:
            [mail] = mails
            assert mail.to == "ada@example.com"
            assert mail.subject == "Reset your Signet password"
            return mail.link
        time.sleep(0.2)
    raise AssertionError("no reset message arrived")


def test_forgot_password_then_the_mailed_link_signs_in_with_the_new_password(
        browser_page, user, app, artifacts_dir):
    page = browser_page
    mailbox = Mailbox(app)
    page.goto("/login")
    page.click("#forgot-password")
    page.wait_for_url(re.compile(r"/forgot-password$"))
    page.fill("#email", "ada@example.com")
    page.click("#forgot-form button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?notice=reset_sent$"))
    assert "a link to reset its password is on its way" in page.inner_text(".notice")

    link = received_link(mailbox)
    parts = urlsplit(link)
    assert parts.path == "/reset-password" and parts.query.startswith("token=")
    # The mail's link is rooted at PUBLIC_BASE_URL; the browser opens it on this server.
    page.goto(f"{parts.path}?{parts.query}")
    page.fill("#new_password", NEW_PASSWORD)
    page.click("#reset-form button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?notice=password_reset$"))
    assert "Your password was changed." in page.inner_text(".notice")

    page.fill("#email", "ada@example.com")
    page.fill("#password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/profile$"))
    assert page.inner_text("#profile-name") == "Ada Lovelace"
    page.screenshot(path=str(artifacts_dir / "e2e-password-reset.png"), full_page=True)

    page.goto(f"{parts.path}?{parts.query}")  # the link again: the token is spent
    page.fill("#new_password", "yet another password")
    page.click("#reset-form button[type=submit]")
    assert "This link is invalid or has expired" in page.content()
