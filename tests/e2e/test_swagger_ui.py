"""Swagger UI at /docs in real Chromium with no internet: it renders and executes calls."""

from __future__ import annotations

import re

from tests.factories import image_bytes
from tests.helpers import row_count

REGISTER_OPERATION = "#operations-auth-post_api_v1_auth_register"


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
    operation.locator("button.execute").click()

    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    body = operation.locator(".live-responses-table .microlight").first.inner_text()
    assert status.inner_text().strip() == "201", body
    assert re.search(r'"profileImageUrl":\s*"/api/v1/files/\d+/content"', body)
    assert row_count("users") == 1 and row_count("files") == 1
