"""A visitor's journey in real Chromium: register with an image, sign in, upload, sign out."""

from __future__ import annotations

import re

import pytest

from tests.factories import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def avatar(tmp_path):
    """A small PNG on disk, as a visitor would pick it in the file dialog."""
    path = tmp_path / "avatar.png"
    path.write_bytes(image_bytes("PNG", (64, 64)))
    return path


def test_register_sign_in_see_image_upload_and_sign_out(
        browser_page, avatar, tmp_path, artifacts_dir, capsys):
    page = browser_page
    page.goto("/register")
    page.fill("#name", "Browser Tester")
    page.fill("#email", "browser@example.com")
    page.fill("#password", "correct horse battery")
    page.set_input_files("#profile_image", str(avatar))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?notice=registered$"))
    assert "Your account was created." in page.inner_text(".notice")

    page.fill("#email", "browser@example.com")
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/profile$"))
    assert page.inner_text("#profile-name") == "Browser Tester"
    image = page.locator("#profile-image")
    image.wait_for()
    page.wait_for_function(
        "document.querySelector('#profile-image').complete"
        " && document.querySelector('#profile-image').naturalWidth > 0")
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [64, 64]
    screenshot = artifacts_dir / "e2e-profile.png"
    page.screenshot(path=str(screenshot), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot of the profile page: {screenshot}")

    notes = tmp_path / "notes.txt"
    notes.write_text("written in a browser test\n")
    page.goto("/files")
    page.set_input_files("#file", str(notes))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/files\?notice=uploaded$"))
    assert "notes.txt" in page.inner_text("#file-list")

    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/login\?notice=signed_out$"))
    assert "You are signed out." in page.inner_text(".notice")
    assert page.context.cookies() == [] or all(
        c["name"] not in {"access_token_cookie", "refresh_token_cookie"}
        for c in page.context.cookies())
    page.goto("/profile")
    assert page.url.endswith("/login")


def test_field_errors_are_shown_to_the_browser(browser_page):
    page = browser_page
    page.goto("/register")
    page.fill("#name", "Short Password")
    page.fill("#email", "short@example.com")
    # The browser's own checks would stop a short password: post what a script could send.
    page.eval_on_selector("#password", "el => el.removeAttribute('minlength')")
    page.fill("#password", "short")
    page.click("button[type=submit]")
    # The registration form again: the message under the password, the name kept.
    assert "8" in page.inner_text("#password-error")
    assert page.title().startswith("Register")
    assert page.input_value("#name") == "Short Password"
    assert page.input_value("#password") == ""
