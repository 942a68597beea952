"""Every page in real Chromium at 1280 and 390 px: no sideways scroll, no console error,
and no serious or critical axe-core violation; a mailed message at 390 px fits too.

Signed out, as a user and as an admin; the pages a refused form and an unknown address
show are included. Screenshots go to artifacts/screens/ (CI keeps artifacts/).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app.mail.compose import render_message
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.mfa.helpers import Authenticator

pytestmark = [pytest.mark.browser, pytest.mark.live]

WIDTHS = (1280, 390)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
LONG_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro Build/AP1A.240405.002; wv) "
              "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 "
              "Mobile Safari/537.36 SomeEmbeddedBrowser/12.3.4 (with a very long suffix)")
LONG_FILE_NAME = "quarterly-report-with-a-rather-long-name-that-never-breaks-2026-final.txt"
SIGNED_OUT_PAGES = ("/", "/login", "/register", "/forgot-password",
                    "/verify-email?token=abc", "/reset-password?token=abc",
                    "/confirm-email?token=abc", "/reset-password", "/no-such-page")
SIGNED_IN_PAGES = ("/profile", "/files", "/register", "/no-such-page", "/profile/password",
                   "/profile/email", "/profile/details", "/profile/tokens")
# An admin's area; a user opening it gets the 403 page, which is checked too.
ADMIN_PAGES = ("/admin/users", "/admin/users?q=layout", "/admin/audit",
               "/admin/audit?action=auth.login", "/admin/users/{id}")
MAIL_CONTEXT = {"name": "Ada Lovelace", "expires_minutes": 30, "expires_hours": 24,
                "expires_days": 7, "new_email": "ada.lovelace@example.com",
                "link": "https://signet.example.com/reset-password?token="
                        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrSt"}
MAIL_TEMPLATES = ("password_reset", "verify_email", "invitation", "email_change_confirm",
                  "notice_password_changed")


@pytest.fixture
def site(chromium, live_server, app):
    """The live server and a way to open a tab with axe-core ready in every document."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is in package.json)")
    server = live_server(workers=2, shared=True)  # the package's one gunicorn (conftest)
    contexts = []

    def open_tab():
        context = chromium.new_context(base_url=server.url,
                                       viewport={"width": WIDTHS[0], "height": 900})
        context.set_default_timeout(10_000)
        # An init script is not subject to the page's CSP (script-src 'self'), which stays on.
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda message: message.type == "error"
                and page.console_errors.append(message))
        page.on("pageerror", lambda error: page.console_errors.append(error))
        return page

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def screens(artifacts_dir) -> Path:
    """artifacts/screens/, where every page's screenshot is written."""
    return artifacts_dir


def own_status_error(message, page) -> bool:
    """Chromium logs a page's own 4xx as a console error: that status is the point."""
    text = getattr(message, "text", "")
    location = getattr(message, "location", {}) or {}
    return (text.startswith("Failed to load resource: the server responded with a status of 4")
            and location.get("url", "").split("?")[0] == page.url.split("?")[0])


def check_page(page, label: str, screens: Path) -> list[str]:
    """What is wrong with the page shown now, at each width (empty when nothing)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_load_state("load")
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            problems.append(f"{label} at {width}px: lays out {scroll}px wide")
        results = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})")
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{label} at {width}px: axe {violation['id']} "
                                f"({violation['impact']}) on {targets}")
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        page.screenshot(path=str(screens / f"{name}-{width}.png"), full_page=True)
    errors = [f"{getattr(e, 'text', e)} {(getattr(e, 'location', {}) or {}).get('url', '')}"
              for e in page.console_errors
              if not own_status_error(e, page)]
    problems += [f"{label}: console error {text}" for text in errors]
    page.console_errors.clear()
    return problems


def visit(page, path: str, label: str, screens: Path) -> list[str]:
    """Open `path` and check it."""
    page.goto(path)
    return check_page(page, label, screens)


def sign_in(page, email: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("form[action$='/auth/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/profile$"))


def give_history(client, email: str, auth_headers, account) -> None:
    """A second session from a long User-Agent and a file with a long name."""
    assert client.post("/api/v1/auth/login", headers={"User-Agent": LONG_AGENT},
                       json={"email": email, "password": DEFAULT_PASSWORD}).status_code == 200
    uploaded = client.post("/api/v1/files", headers=auth_headers(account),
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"numbers\n"), LONG_FILE_NAME)})
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)


def test_signed_out_pages(site, screens):
    page = site()
    problems = []
    for path in SIGNED_OUT_PAGES:
        problems += visit(page, path, f"signed out {path}", screens)
    if page.goto("/dev/mail").status == 200:
        problems += check_page(page, "signed out /dev/mail", screens)
    assert not problems, "\n".join(problems)

    page.goto("/login")
    page.fill("#email", "nobody@example.com")
    page.fill("#password", "wrong password")
    page.click("form[action$='/auth/login'] button[type=submit]")
    page.wait_for_selector("#form-error")
    assert page.input_value("#email") == "nobody@example.com"
    assert page.input_value("#password") == ""
    problems += check_page(page, "signed out wrong password", screens)

    page.goto("/register")
    page.fill("#name", "Short Password")
    page.fill("#email", "short@example.com")
    page.eval_on_selector("#password", "el => el.removeAttribute('minlength')")
    page.fill("#password", "short")
    page.click("form[action$='/auth/register'] button[type=submit]")
    page.wait_for_selector("#password-error")
    problems += check_page(page, "signed out register refused", screens)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["user", "admin"])
def test_signed_in_pages(site, screens, users, client, auth_headers, role):
    email = f"{role}-layout@example.com"
    account = users.create(name=f"Layout {role.title()} With A Fairly Long Name",
                           email=email, role=role)
    give_history(client, email, auth_headers, account)
    for number in range(3):  # the admin's users list shows a few rows, one deactivated
        users.create(name=f"Listed Person {number}", email=f"listed{number}-{role}@example.com",
                     is_active=number != 1)
    page = site()
    sign_in(page, email)
    problems = []
    for path in SIGNED_IN_PAGES + ADMIN_PAGES:
        problems += visit(page, path.format(id=account.id), f"{role} {path}", screens)
    assert not problems, "\n".join(problems)
    page.goto("/profile")
    assert "on Android" in page.inner_text("#session-list")  # a device name ...
    assert "KHTML" not in page.content()  # ... never the whole User-Agent

    page.fill("#delete-current-password", "not my password")
    page.click("#delete-account-form button[type=submit]")
    page.wait_for_selector("#delete-account-form #form-error")
    problems += check_page(page, f"{role} profile refused", screens)

    page.fill("#setup-password", DEFAULT_PASSWORD)
    page.click("#totp-setup-form button[type=submit]")
    page.wait_for_selector("#totp-qr svg")
    problems += check_page(page, f"{role} totp setup", screens)
    authenticator = Authenticator(page.inner_text("#totp-secret").strip())
    page.fill("#code", authenticator.code())
    page.click("#totp-confirm-form button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    problems += check_page(page, f"{role} recovery codes", screens)
    page.goto("/profile")
    assert page.locator("#mfa form").count() == 1  # one password+code form, two actions
    problems += check_page(page, f"{role} profile with totp on", screens)
    page.fill("#mfa-password", "not my password")
    page.fill("#mfa-code", authenticator.code())
    page.click("#totp-disable-button")
    page.wait_for_selector("#mfa #form-error")
    problems += check_page(page, f"{role} totp off refused", screens)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["user", "admin"])
def test_self_service_forms(site, screens, users, role):
    """The settings pages' forms refused and accepted, as a person fills them in."""
    email = f"{role}-forms@example.com"
    users.create(name=f"Forms {role.title()}", email=email, role=role)
    page = site()
    sign_in(page, email)
    problems = []

    page.goto("/profile/password")
    page.fill("#current_password", "not my password")
    page.fill("#new_password", "a new long password")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-form #form-error")
    problems += check_page(page, f"{role} password refused", screens)

    page.goto("/profile/details")
    page.fill("#name", " ")
    page.click("#details-form button[type=submit]")
    page.wait_for_selector("#name-error")
    problems += check_page(page, f"{role} details refused", screens)

    page.goto("/profile/tokens")
    page.fill("#token-name", "Layout script with a long descriptive name")
    page.check("input[name=scopes][value='files:read']")
    page.fill("#token-password", DEFAULT_PASSWORD)
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#token-secret")
    problems += check_page(page, f"{role} token created", screens)
    page.goto("/profile/tokens")
    problems += check_page(page, f"{role} tokens listed", screens)
    assert not problems, "\n".join(problems)


def test_mail_fits_a_phone_in_chromium(chromium, app, screens):
    context = chromium.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    problems = []
    for template in MAIL_TEMPLATES:
        _, _, html = render_message(template, MAIL_CONTEXT)
        page.set_content(html)
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        page.screenshot(path=str(screens / f"mail-{template}-390.png"), full_page=True)
        if scroll > inner:
            problems.append(f"mail {template} lays out {scroll}px wide at 390px")
    context.close()
    assert not problems, "\n".join(problems)


def test_profile_image_page_renders(site, screens, tmp_path):
    """Registration with an image, then the profile with it, at both widths."""
    page = site()
    avatar = tmp_path / "avatar.png"
    avatar.write_bytes(image_bytes("PNG", (64, 64)))
    page.goto("/register")
    page.fill("#name", "Image Person")
    page.fill("#email", "image@example.com")
    page.fill("#password", DEFAULT_PASSWORD)
    page.set_input_files("#profile_image", str(avatar))
    page.click("form[action$='/auth/register'] button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?notice=registered$"))
    sign_in(page, "image@example.com")
    page.wait_for_function("document.querySelector('#profile-image').complete")
    problems = check_page(page, "user profile with image", screens)
    assert not problems, "\n".join(problems)
