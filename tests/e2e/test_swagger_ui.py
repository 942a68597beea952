"""Swagger UI at /docs in real Chromium with no internet: it renders and executes calls."""

from __future__ import annotations

import re

import pytest
import requests

from tests.factories import image_bytes
from tests.helpers import row_count

pytestmark = [pytest.mark.browser, pytest.mark.live]

REGISTER_OPERATION = "#operations-account-post_api_v1_auth_register"
ME_OPERATION = "#operations-account-get_api_v1_auth_me"


def execute(operation) -> tuple[str, str]:
    """Press Execute on an expanded operation; return the live status and body."""
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    body = operation.locator(".live-responses-table .microlight").first.inner_text()
    return status.inner_text().strip(), body


def test_docs_render_offline_and_register_with_an_image(browser_page, tmp_path, db):
    page = browser_page
    avatar = tmp_path / "avatar.png"
    avatar.write_bytes(image_bytes("PNG", (32, 32)))

    page.goto("/docs")
    page.wait_for_selector(".opblock")
    assert page.locator("button.authorize").count() == 1  # bearerAuth is declared
    operation = page.locator(REGISTER_OPERATION)
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    assert operation.locator("select.content-type").first.input_value() == "multipart/form-data"
    operation.locator("input[placeholder=name]").fill("Docs Tester")
    operation.locator("input[placeholder=email]").fill("docs@example.com")
    operation.locator("input[placeholder=password]").fill("correct horse battery")
    operation.locator("input[type=file]").set_input_files(str(avatar))
    status, body = execute(operation)
    assert status == "201", body
    assert re.search(r'"profileImageUrl":\s*"/api/v1/files/\d+/content"', body)
    assert row_count("users") == 1 and row_count("files") == 1


def test_authorize_with_a_bearer_token_then_call_me(browser_page, users):
    page = browser_page
    users.create(name="Token Holder", email="holder@example.com")
    page.goto("/docs")
    base_url = page.evaluate("location.origin")
    token = requests.post(f"{base_url}/api/v1/auth/login", timeout=10, json={
        "email": "holder@example.com", "password": "correct horse battery"}).json()["access_token"]
    page.wait_for_selector(".opblock")
    page.click("button.authorize")
    page.fill(".modal-ux input", token)
    page.click(".modal-ux .auth-btn-wrapper button.authorize")
    page.click(".modal-ux button.btn-done")
    operation = page.locator(ME_OPERATION)
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    status, body = execute(operation)
    assert status == "200", body
    assert '"email": "holder@example.com"' in body
