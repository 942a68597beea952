"""The admin area: users, one user's page and its forms, the audit log.

Admins only, as the API: signed out goes to /login, a non-admin gets 403 and an unknown
user 404, as HTML pages. Every form posts with the session's CSRF token.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.sessions.service import list_sessions
from app.users.models import Role, User
from tests.account.email.mailbox import Mailbox
from tests.factories import DEFAULT_PASSWORD
from tests.mfa.helpers import enable_totp
from tests.web.test_form_posts import HTML, sign_in

PAGES = ("/admin/users", "/admin/users/{id}", "/admin/audit")


@pytest.fixture
def admin_csrf(client, admin) -> str:
    """The admin signed in through the form; the session's CSRF token."""
    return sign_in(client, admin.email)


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def live_sessions(user: User) -> int:
    db.session.expire_all()
    return len(list_sessions(user_id=user.id))


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_visitors_go_to_sign_in(client, user, path):
    response = client.get(path.format(id=user.id), headers=HTML)
    assert response.status_code == 303 and response.headers["Location"] == "/login"


@pytest.mark.parametrize("path", PAGES)
def test_a_non_admin_gets_403_as_an_html_page(client, user, path):
    sign_in(client)
    response = client.get(path.format(id=user.id), headers=HTML)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert 'id="admin-link"' not in client.get("/profile").get_data(as_text=True)


def test_an_unknown_user_is_404(client, admin_csrf):
    response = client.get("/admin/users/987654321", headers=HTML)
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_users_list_searches_filters_and_pages(client, admin, users, admin_csrf):
    for number in range(22):
        users.create(name=f"Pat {number:02}", email=f"pat{number:02}@example.com")
    users.create(name="Zed Quiet", email="zed@example.com", is_active=False)

    first = client.get("/admin/users?q=pat").get_data(as_text=True)
    assert first.count('<tr id="user-') == 20 and "Zed Quiet" not in first
    assert 'id="admin-link"' in first and 'value="pat"' in first
    next_link = first.split('id="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "q=pat" in next_link and "cursor=" in next_link
    second = client.get(next_link).get_data(as_text=True)
    assert second.count('<tr id="user-') == 2 and 'id="next-page"' not in second

    inactive = client.get("/admin/users?q=&role=&isActive=false").get_data(as_text=True)
    assert "Zed Quiet" in inactive and "Pat 00" not in inactive
    admins = client.get("/admin/users?role=admin").get_data(as_text=True)
    assert admin.name in admins and "Pat 00" not in admins


def test_a_bad_filter_is_a_422_page_naming_it(client, admin_csrf):
    response = client.get("/admin/users?role=emperor", headers=HTML)
    assert response.status_code == 422 and "role" in response.get_data(as_text=True)


def test_a_users_page_shows_details_sessions_and_activity(app, client, user, admin_csrf):
    sign_in(app.test_client())  # Ada signs in on another device

    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)

    assert '<h1 id="user-name">Ada Lovelace</h1>' in page and "ada@example.com" in page
    assert page.count('<tr id="session-') == 1
    assert "<code>auth.login</code>" in page
    assert f'href="/admin/audit?subjectId={user.id}"' in page


def test_role_change_and_deactivation_from_the_users_page(client, user, admin_csrf):
    url = f"/admin/users/{user.id}/update"
    promoted = client.post(url, headers=HTML, data={
        "csrf_token": admin_csrf, "role": "admin",
        "next": f"/admin/users/{user.id}?notice=user_updated"})
    assert promoted.status_code == 303 and fresh(user).role == Role.ADMIN

    deactivated = client.post(url, headers=HTML, data={
        "csrf_token": admin_csrf, "isActive": "false",
        "next": f"/admin/users/{user.id}?notice=user_deactivated"})
    assert deactivated.status_code == 303 and fresh(user).is_active is False
    page = client.get(deactivated.headers["Location"]).get_data(as_text=True)
    assert "The user was deactivated" in page and 'id="reactivate"' in page
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(
        AuditEvent.id.desc()).limit(1)) == "admin.user_updated"


def test_the_last_admin_cannot_demote_themselves_and_sees_why_on_the_page(
        client, admin, admin_csrf):
    response = client.post(f"/admin/users/{admin.id}/update", headers=HTML, data={
        "csrf_token": admin_csrf, "role": "user", "next": f"/admin/users/{admin.id}"})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert '<h1 id="user-name">Grace Hopper</h1>' in page and 'role="alert"' in page
    assert fresh(admin).role == Role.ADMIN


def test_a_bad_role_is_named_beside_the_field(client, user, admin_csrf):
    response = client.post(f"/admin/users/{user.id}/update", headers=HTML, data={
        "csrf_token": admin_csrf, "role": "emperor"})
    assert response.status_code == 422
    assert 'id="user-role-choice-error"' in response.get_data(as_text=True)


def test_ending_every_session_signs_the_user_out(app, client, user, admin_csrf):
    sign_in(app.test_client())
    assert live_sessions(user) == 1

    response = client.post(f"/admin/users/{user.id}/sessions/end", headers=HTML, data={
        "csrf_token": admin_csrf, "next": f"/admin/users/{user.id}?notice=sessions_ended"})

    assert response.status_code == 303 and live_sessions(user) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Every session of the user was ended." in page and 'id="no-sessions"' in page


def test_an_mfa_reset_removes_the_factors_and_mails_the_user(
        app, client, user, auth_headers, admin_csrf):
    enable_totp(app.test_client(), auth_headers(user))
    mailbox = Mailbox(app)
    mailbox.new()

    response = client.post(f"/admin/users/{user.id}/mfa/reset", headers=HTML, data={
        "csrf_token": admin_csrf, "next": f"/admin/users/{user.id}?notice=mfa_reset"})

    assert response.status_code == 303 and fresh(user).mfa_enabled is False
    assert "administrator" in mailbox.one(to=user.email).text
    login = app.test_client().post("/api/v1/auth/login", json={
        "email": user.email, "password": DEFAULT_PASSWORD})
    assert "access_token" in login.get_json()


@pytest.mark.parametrize("action", ["update", "sessions/end", "mfa/reset"])
def test_admin_forms_refuse_non_admins_and_a_missing_csrf(client, admin, user, users, action):
    csrf = sign_in(client)
    response = client.post(f"/admin/users/{admin.id}/{action}", headers=HTML,
                           data={"csrf_token": csrf, "isActive": "false"})
    assert response.status_code == 403 and fresh(admin).is_active

    other = users.create(name="Other", email="other@example.com", role="admin")
    admin_client = client.application.test_client()
    sign_in(admin_client, other.email)
    forged = admin_client.post(f"/admin/users/{user.id}/{action}", headers=HTML,
                               data={"isActive": "false"})
    assert forged.status_code == 401 and fresh(user).is_active


def test_the_audit_log_filters_by_action_actor_and_subject(client, admin, user, admin_csrf):
    client.application.test_client().post("/api/v1/auth/login", json={
        "email": user.email, "password": "wrong password"})

    everything = client.get("/admin/audit").get_data(as_text=True)
    failed = client.get("/admin/audit?action=auth.login_failed&actorId=&subjectId=")
    by_admin = client.get(f"/admin/audit?actorId={admin.id}").get_data(as_text=True)

    assert "<code>auth.login_failed</code>" in everything
    assert "<code>auth.login</code>" in everything
    rows = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "<code>auth.login</code>" not in rows
    assert rows.count('<tr id="event-') == 1 and 'value="auth.login_failed"' in rows
    assert "<code>auth.login_failed</code>" not in by_admin
    assert client.get("/admin/audit?action=DROP TABLE", headers=HTML).status_code == 422
