"""Leaving in real Chromium: download the export from the profile page, then delete."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_export_then_delete_my_account_from_the_profile_page(browser_page, users, tmp_path):
    account = users.create(email="leaver@example.com")
    user_id = account.id
    page = browser_page
    page.goto("/login")
    page.fill("#email", "leaver@example.com")
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/profile$"))

    with page.expect_download() as download:
        page.click("#export-link")
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert json.loads(archive.read("account.json"))["user"]["id"] == user_id

    page.fill("#delete-current-password", "not my password")
    page.click("#delete-account-form button[type=submit]")
    assert "incorrect" in page.inner_text("main")
    page.goto("/profile")
    page.fill("#delete-current-password", DEFAULT_PASSWORD)
    page.click("#delete-account-form button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?notice=account_deleted$"))

    assert "Your account and your files were deleted." in page.inner_text(".notice")
    page.goto("/profile")
    assert page.url.endswith("/login")
    with _db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM users WHERE id = :id"),
                           {"id": user_id}) == 0
