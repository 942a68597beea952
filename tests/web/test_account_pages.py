"""The profile page's export link and "Delete my account" form (cookie session + CSRF)."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from app.extensions import db as _db
from tests.web.test_form_posts import HTML, PASSWORD, sign_in


def user_exists(user_id: int) -> bool:
    with _db.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT COUNT(*) FROM users WHERE id = :id"),
                           {"id": user_id}) == 1


def test_profile_offers_the_export_and_a_csrf_protected_delete_form(client, user):
    csrf = sign_in(client)

    body = client.get("/profile").get_data(as_text=True)

    assert "<title>Ada Lovelace · Signet</title>" in body
    main = body[body.index("<main>"):body.index("</main>")]
    assert 'href="/api/v1/auth/me/export"' in main
    form = main[main.index('<form method="post" action="/profile/delete"'):]
    form = form[:form.index("</form>")]
    assert 'name="current_password" type="password"' in form
    assert f'name="csrf_token" value="{csrf}"' in form


def test_the_export_link_downloads_a_zip_with_the_cookie_session(client, user):
    sign_in(client)

    response = client.get("/api/v1/auth/me/export")

    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "account.json" in zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()


def test_the_form_deletes_the_account_and_signs_the_browser_out(client, user):
    csrf, user_id = sign_in(client), user.id

    response = client.post("/profile/delete", headers=HTML, data={
        "csrf_token": csrf, "current_password": PASSWORD,
        "next": "/login?notice=account_deleted"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/login?notice=account_deleted"
    assert client.get_cookie("access_token_cookie") is None
    assert not user_exists(user_id)
    assert "Your account and your files were deleted." in client.get(
        "/login?notice=account_deleted").get_data(as_text=True)


def test_a_wrong_password_is_an_html_401_and_keeps_the_account(client, user):
    csrf = sign_in(client)

    response = client.post("/profile/delete", headers=HTML, data={
        "csrf_token": csrf, "current_password": "not my password", "next": "/login"})

    assert response.status_code == 401 and response.mimetype == "text/html"
    assert user_exists(user.id)
    assert client.get("/api/v1/auth/me").status_code == 200


def test_without_the_csrf_token_nothing_is_deleted(client, user):
    sign_in(client)

    response = client.post("/profile/delete", headers=HTML, data={
        "current_password": PASSWORD, "next": "/login"})

    assert response.status_code == 401
    assert user_exists(user.id)
