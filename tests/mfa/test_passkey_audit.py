"""A passkey sign-in is audited like a password login: success and every refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.audit.test_events import events
from tests.helpers import assert_problem
from tests.mfa.authenticator import SoftwareAuthenticator
from tests.mfa.test_passkeys import (  # noqa: F401 - fixtures
    BASE,
    ORIGIN,
    device,
    login_options,
    registered,
    sign_in,
)


def test_a_passkey_sign_in_is_recorded(client, db, user, registered, device):  # noqa: F811
    assert sign_in(client, device).status_code == 200

    [event] = events(db, "auth.login")
    assert (event.actor_id, event.subject_id) == (user.id, user.id)
    assert event.details == {"method": "passkey"}
    assert not events(db, "auth.login_failed")


def test_a_passkey_sign_in_commits_once_after_spending_its_challenge(
        client, db, registered, device):  # noqa: F811
    options = login_options(client)
    credential = device.get(options["publicKey"])
    commits = []

    def count(session):
        commits.append(session)

    event.listen(Session, "after_commit", count)
    try:
        response = client.post(f"{BASE}/login/verify",
                               json={"ceremony": options["ceremony"], "credential": credential})
    finally:
        event.remove(Session, "after_commit", count)

    assert response.status_code == 200
    # One commit spends the challenge (before anything is verified), one ends the sign-in:
    # the counter, the audit line and the new session together.
    assert len(commits) == 2


def forged_signature(client, device, **_):  # noqa: F811
    options = login_options(client)
    credential = device.get(options["publicKey"])
    credential["response"]["signature"] = credential["response"]["signature"][:-4] + "AAAA"
    return client.post(f"{BASE}/login/verify",
                       json={"ceremony": options["ceremony"], "credential": credential})


def cloned_authenticator(client, device, **_):  # noqa: F811
    assert sign_in(client, device).status_code == 200
    device.credentials[-1].sign_count = 0  # behind the counter the server holds
    return sign_in(client, device)


def unknown_passkey(client, device, **_):  # noqa: F811
    stranger = SoftwareAuthenticator(ORIGIN)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    return sign_in(client, stranger)


def deactivated(client, device, *, admin, auth_headers, user):  # noqa: F811
    client.patch(f"/api/v1/users/{user.id}", json={"isActive": False},
                 headers=auth_headers(admin))
    return sign_in(client, device)


@pytest.mark.parametrize(("attempt", "status", "reason", "names_the_user"), [
    (forged_signature, 401, "verification_failed", True),
    # py_webauthn refuses a counter that went back before ours is compared.
    (cloned_authenticator, 401, "verification_failed", True),
    (unknown_passkey, 401, "unknown_passkey", False),
    (deactivated, 403, "inactive", True),
])
def test_a_refused_passkey_sign_in_is_its_own_committed_event(
        client, db, user, admin, auth_headers, registered, device,  # noqa: F811
        attempt, status, reason, names_the_user):
    response = attempt(client, device, admin=admin, auth_headers=auth_headers, user=user)

    assert_problem(response, status)
    [event] = events(db, "auth.login_failed")
    assert event.actor_id is None
    assert event.subject_id == (user.id if names_the_user else None)
    assert event.details == {"method": "passkey", "reason": reason}
    # Only the one sign-in that a cloned authenticator needs first went through.
    assert len(events(db, "auth.login")) == (1 if attempt is cloned_authenticator else 0)
