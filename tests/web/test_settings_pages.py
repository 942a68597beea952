"""Self-service pages: password, email, name and image, verification, tokens, file delete.

Each flow as a browser drives it: the page, its form posted with the session's CSRF
token, and what the person sees next (status, page, rows, mail).
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.files.models import File
from app.tokens.models import PersonalAccessToken
from app.users.models import User
from tests.account.email.mailbox import Mailbox
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.web.test_form_posts import HTML, sign_in


@pytest.fixture
def mailbox(app) -> Mailbox:
    """What the service delivered (file backend)."""
    return Mailbox(app)


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def field_error(page: str, input_id: str) -> str:
    """The message shown beside one field ('' when none)."""
    marker = f'id="{input_id}-error">'
    return page.split(marker)[1].split("</p>")[0] if marker in page else ""


@pytest.mark.parametrize("path", ["/profile/password", "/profile/email", "/profile/details",
                                  "/profile/tokens"])
def test_settings_pages_send_signed_out_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"] == "/login"


def test_the_profile_links_every_settings_page(client, user):
    sign_in(client)
    page = client.get("/profile").get_data(as_text=True)
    for path in ("/profile/details", "/profile/email", "/profile/password", "/profile/tokens"):
        assert f'href="{path}"' in page
        assert client.get(path).status_code == 200


# --- password ----------------------------------------------------------------------------

def test_a_wrong_current_password_shows_the_form_again_with_the_error_beside_it(client, user):
    csrf = sign_in(client)
    response = client.post("/api/v1/auth/password", headers=HTML, data={
        "csrf_token": csrf, "current_password": "not my password",
        "new_password": "a new long password", "next": "/login?notice=password_changed"})

    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "<h1>Change your password</h1>" in page and 'role="alert"' in page
    assert "not my password" not in page and "a new long password" not in page


def test_a_refused_new_password_is_named_beside_its_field(client, user):
    csrf = sign_in(client)
    response = client.post("/api/v1/auth/password", headers=HTML, data={
        "csrf_token": csrf, "current_password": DEFAULT_PASSWORD, "new_password": "short"})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "new_password")


def test_changing_the_password_signs_out_and_mails_a_notice(client, user, mailbox):
    csrf = sign_in(client)
    mailbox.new()
    response = client.post("/api/v1/auth/password", headers=HTML, data={
        "csrf_token": csrf, "current_password": DEFAULT_PASSWORD,
        "new_password": "a new long password", "next": "/login?notice=password_changed"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/login?notice=password_changed"
    assert client.get("/profile").status_code == 303  # this browser is signed out too
    assert "Sign in with the new one" in client.get(
        "/login?notice=password_changed").get_data(as_text=True)
    assert mailbox.one(to=user.email).subject == "Your Signet password was changed"


# --- email -------------------------------------------------------------------------------

def test_an_email_change_keeps_the_typed_address_on_error_and_mails_the_new_one(
        client, user, mailbox):
    csrf = sign_in(client)
    refused = client.post("/api/v1/auth/email/change", headers=HTML, data={
        "csrf_token": csrf, "new_email": "ada@new.example", "current_password": "wrong"})
    assert refused.status_code == 401
    page = refused.get_data(as_text=True)
    assert 'value="ada@new.example"' in page and "<h1>Change your email address</h1>" in page

    mailbox.new()
    done = client.post("/api/v1/auth/email/change", headers=HTML, data={
        "csrf_token": csrf, "new_email": "ada@new.example",
        "current_password": DEFAULT_PASSWORD, "next": "/profile?notice=email_change_sent"})

    assert done.status_code == 303
    assert "A confirmation link is on its way" in client.get(
        done.headers["Location"]).get_data(as_text=True)
    assert mailbox.one(to="ada@new.example").link
    assert fresh(user).email == "ada@example.com"  # nothing changes before the link


# --- name and image ----------------------------------------------------------------------

def test_the_details_form_changes_name_and_image(client, user, upload_dir):
    csrf = sign_in(client)
    page = client.get("/profile/details").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in page and 'enctype="multipart/form-data"' in page

    response = client.post("/profile/details", headers=HTML, content_type="multipart/form-data",
                           data={"csrf_token": csrf, "name": "Ada King",
                                 "profile_image": (io.BytesIO(image_bytes("PNG")), "me.png"),
                                 "next": "/profile?notice=details_saved"})

    assert response.status_code == 303
    profile = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your name and image were saved." in profile and ">Ada King</h1>" in profile
    assert fresh(user).name == "Ada King" and fresh(user).profile_image_id is not None


def test_a_blank_name_is_refused_beside_the_field_and_the_typed_value_kept(client, user):
    csrf = sign_in(client)
    response = client.post("/profile/details", headers=HTML, data={
        "csrf_token": csrf, "name": "   ", "next": "/profile?notice=details_saved"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "name") and 'aria-invalid="true"' in page
    assert fresh(user).name == "Ada Lovelace"


def test_the_details_form_needs_the_csrf_token(client, user):
    sign_in(client)
    response = client.post("/profile/details", headers=HTML, data={"name": "Forged"})
    assert response.status_code == 401 and fresh(user).name == "Ada Lovelace"


# --- verification ------------------------------------------------------------------------

def test_an_unverified_address_says_so_and_a_new_link_can_be_sent(client, user, mailbox):
    csrf = sign_in(client)
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="email-status">not verified' in page
    mailbox.new()

    response = client.post("/api/v1/auth/verify-email/resend", headers=HTML, data={
        "csrf_token": csrf, "next": "/profile?notice=verification_sent"})

    assert response.status_code == 303
    assert "A new verification link" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert "/verify-email?token=" in mailbox.one(to=user.email).link


def test_a_verified_address_shows_no_resend_form(client, user):
    user.email_verified_at = user.created_at
    db.session.commit()
    sign_in(client)
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="email-status">verified' in page and 'id="resend-form"' not in page


# --- personal tokens ---------------------------------------------------------------------

def token_form(csrf: str, **fields) -> dict:
    return {"csrf_token": csrf, "name": "Backup script", "scopes": ["files:read"],
            "expires_in_days": "30", "current_password": DEFAULT_PASSWORD, **fields}


def test_a_new_token_is_shown_once_then_listed_without_its_secret(client, user):
    csrf = sign_in(client)
    page = client.get("/profile/tokens").get_data(as_text=True)
    assert 'id="no-tokens"' in page and 'value="users:read"' not in page  # admins only

    response = client.post("/api/v1/auth/tokens", headers=HTML, data=token_form(
        csrf, scopes=["files:read", "profile:read"]))

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    shown = response.get_data(as_text=True)
    secret = shown.split('id="token-secret" class="secret">')[1].split("<")[0]
    assert secret.startswith("sgn_pat_") and "shown only this once" in shown
    listed = client.get("/profile/tokens").get_data(as_text=True)
    assert "Backup script" in listed and "files:read, profile:read" in listed
    assert secret not in listed
    row = db.session.scalars(sa.select(PersonalAccessToken)).one()
    assert secret not in (row.token_hash, row.name)


def test_a_refused_token_form_keeps_the_name_and_names_the_field(client, user):
    csrf = sign_in(client)
    response = client.post("/api/v1/auth/tokens", headers=HTML,
                           data=token_form(csrf, scopes=[], expires_in_days="999"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Backup script"' in page
    assert field_error(page, "token-days") and field_error(page, "token-scopes")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonalAccessToken)) == 0


def test_a_refused_token_form_keeps_every_ticked_scope(client, user):
    csrf = sign_in(client)
    response = client.post("/api/v1/auth/tokens", headers=HTML, data=token_form(
        csrf, scopes=["files:read", "profile:write"], current_password="wrong"))

    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert 'value="files:read" checked' in page and 'value="profile:write" checked' in page
    assert 'value="profile:read" checked' not in page


def test_revoking_a_token_removes_it_and_another_users_is_404(client, user, users):
    csrf = sign_in(client)
    client.post("/api/v1/auth/tokens", headers=HTML, data=token_form(csrf))
    token_id = db.session.scalar(sa.select(PersonalAccessToken.id))

    response = client.post(f"/profile/tokens/{token_id}/revoke", headers=HTML, data={
        "csrf_token": csrf, "next": "/profile/tokens?notice=token_revoked"})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That token was revoked" in page and 'id="no-tokens"' in page
    missing = client.post(f"/profile/tokens/{token_id}/revoke", headers=HTML,
                          data={"csrf_token": csrf})
    assert missing.status_code == 404 and missing.mimetype == "text/html"


# --- files -------------------------------------------------------------------------------

def upload(client, csrf: str, name: str = "notes.txt") -> int:
    response = client.post("/api/v1/files", headers=HTML, content_type="multipart/form-data",
                           data={"csrf_token": csrf, "file": (io.BytesIO(b"hello"), name),
                                 "next": "/files"})
    assert response.status_code == 303
    return db.session.scalar(sa.select(File.id).order_by(File.id.desc()).limit(1))


def test_a_file_is_deleted_from_the_files_page(client, user, upload_dir):
    csrf = sign_in(client)
    file_id = upload(client, csrf)
    page = client.get("/files").get_data(as_text=True)
    assert f'action="/files/{file_id}/delete"' in page

    response = client.post(f"/files/{file_id}/delete", headers=HTML, data={
        "csrf_token": csrf, "next": "/files?notice=file_deleted"})

    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The file was deleted." in after and 'id="no-files"' in after
    assert db.session.get(File, file_id) is None


def test_another_users_file_cannot_be_deleted_from_a_form(app, client, user, users, upload_dir):
    other = users.create(name="Other", email="other@example.com")
    other_client = app.test_client()
    file_id = upload(other_client, sign_in(other_client, other.email))

    response = client.post(f"/files/{file_id}/delete", headers=HTML,
                           data={"csrf_token": sign_in(client)})

    assert response.status_code == 404 and db.session.get(File, file_id) is not None


def test_the_admin_files_list_names_each_owner(app, client, admin, user, upload_dir):
    user_client = app.test_client()
    upload(user_client, sign_in(user_client), "ada.txt")
    sign_in(client, admin.email)

    page = client.get("/files").get_data(as_text=True)

    assert "<h1>All files</h1>" in page and "<th>Owner</th>" in page
    row = page.split("ada.txt")[1].split("</tr>")[0]
    assert f'href="/admin/users/{user.id}">Ada Lovelace</a>' in row and "ada@example.com" in row
