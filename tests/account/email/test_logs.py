"""No token, password or mailed link reaches a log line at INFO, through every flow."""

from __future__ import annotations

import logging

from tests.factories import DEFAULT_PASSWORD


def test_the_flows_log_ids_never_secrets(client, admin, auth_headers, mailbox, caplog):
    caplog.set_level(logging.INFO)
    secrets, links = [DEFAULT_PASSWORD], []

    def remember(mail):
        links.append(mail.link)
        if "token=" in mail.link:
            secrets.append(mail.token)
        return mail

    client.post("/api/v1/auth/register", json={
        "name": "Log Watcher", "email": "watcher@example.com", "password": DEFAULT_PASSWORD})
    token = remember(mailbox.one()).token
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200

    client.post("/api/v1/auth/password/forgot", json={"email": "watcher@example.com"},
                buffered=True)
    token = remember(mailbox.one()).token
    secrets.append("first new password")
    assert client.post("/api/v1/auth/password/reset", json={
        "token": token, "new_password": "first new password"}).status_code == 204
    remember(mailbox.one())  # the notice

    login = client.post("/api/v1/auth/login", json={
        "email": "watcher@example.com", "password": "first new password"}).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    secrets += [login["access_token"], login["refresh_token"]]
    assert client.post("/api/v1/auth/email/change", headers=headers, json={
        "new_email": "watcher2@example.com", "current_password": "first new password",
    }).status_code == 202
    for mail in mailbox.new():
        remember(mail)
    assert client.post("/api/v1/auth/email/change/confirm",
                       json={"token": secrets[-1]}).status_code == 200
    remember(mailbox.one())

    assert client.post("/api/v1/users/invitations", headers=auth_headers(admin), json={
        "name": "Invitee", "email": "invitee@example.com"}).status_code == 201
    token = remember(mailbox.one()).token
    client.get(f"/reset-password?token={token}")
    client.post("/api/v1/auth/password/reset", json={"token": "garbage-token",
                                                     "new_password": "whatever secret"})
    secrets.append("garbage-token")

    logged = caplog.text
    assert "delivered" in logged or "written to" in logged  # the capture does see the app
    assert "auth.password_reset" in logged and "auth.email_changed" in logged
    for secret in secrets + links:
        assert secret not in logged
    assert "token=" not in logged
