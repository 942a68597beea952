"""Which key signs over a rotation: publish first, sign later, unpublish after expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.exceptions import Conflict, NotFound
from app.extensions import db
from app.keys import public_key_for, signing_key
from app.keys.keyring import KeyRecord, choose
from app.keys.models import SigningKey
from app.keys.service import retire_key, rotate_key
from app.keys.settings import retired_key_seconds
from app.settings import replace_settings
from tests.keys.helpers import move, now, published_kids, rows

HOUR = timedelta(hours=1)


def test_a_rotated_key_is_published_at_once_and_signs_only_after_the_delay(app, client):
    first = signing_key().kid

    second = rotate_key()

    assert published_kids(client) == [second.kid, first]
    assert signing_key().kid == first  # verifiers may not have fetched the new key yet
    assert second.signs_from - second.created_at == timedelta(seconds=3600)
    move(second.kid, signs_from=-HOUR)  # an hour has passed
    assert signing_key().kid == second.kid
    assert published_kids(client) == [second.kid, first]  # the old one still verifies


def test_the_delay_is_the_setting(app):
    replace_settings(app, SIGNING_KEY_PUBLISH_SECONDS=90)
    signing_key()

    key = rotate_key()

    assert key.signs_from - key.created_at == timedelta(seconds=90)


def test_a_retired_key_stays_published_until_its_tokens_have_expired(app, client):
    first = signing_key().kid
    second = rotate_key()
    move(second.kid, signs_from=-HOUR)

    retired = retire_key(first)

    assert retired.published_until - retired.retired_at == timedelta(
        seconds=retired_key_seconds())
    # SIGNING_KEY_MAX_TOKEN_SECONDS (3600) > JWT_ACCESS_TOKEN_EXPIRES (900); these tests
    # re-read the keys at once (SIGNING_KEY_REFRESH_SECONDS=0) and have no leeway.
    assert retired_key_seconds() == 3600
    assert published_kids(client) == [second.kid, first]
    assert public_key_for(first) is not None
    assert signing_key().kid == second.kid
    assert [row.sealed_private_jwk is None for row in rows()] == [True, False]  # gone

    move(first, published_until=-timedelta(seconds=retired_key_seconds() + 1))
    assert published_kids(client) == [second.kid]
    assert public_key_for(first) is None


def test_the_retirement_covers_the_longest_token_and_the_refresh(app):
    replace_settings(app, SIGNING_KEY_REFRESH_SECONDS=30, SIGNING_KEY_MAX_TOKEN_SECONDS=600,
                     JWT_ACCESS_TOKEN_EXPIRES=1200)
    app.config["JWT_DECODE_LEEWAY"] = 5  # Flask-JWT-Extended's own key

    assert retired_key_seconds() == 30 + 1200 + 5


def test_the_key_that_signs_cannot_be_retired_before_another_may_sign(app):
    first = signing_key().kid
    waiting = rotate_key()

    with pytest.raises(Conflict, match="signs now and no other key may sign yet"):
        retire_key(first)
    assert signing_key().kid == first

    retire_key(waiting.kid)  # a key that never signed may go at once
    assert [row.retired_at is not None for row in rows()] == [False, True]


def test_a_compromised_key_is_unpublished_at_once(app, client):
    first = signing_key().kid
    replacement = rotate_key(sign_now=True)

    assert signing_key().kid == replacement.kid
    retire_key(first, compromised=True)

    assert published_kids(client) == [replacement.kid]
    assert public_key_for(first) is None


def test_retiring_twice_or_an_unknown_key_is_refused(app):
    first = signing_key().kid
    rotate_key(sign_now=True)
    retire_key(first)

    with pytest.raises(Conflict, match="retired already"):
        retire_key(first)
    with pytest.raises(NotFound):
        retire_key("no-such-kid")


def test_when_no_key_may_sign_a_new_first_key_is_made(app, client):
    first = signing_key().kid
    # Never through the commands (the signing key cannot be retired alone): a restore
    # from a backup, say, leaves only retired keys.
    table = SigningKey.__table__
    with db.engine.begin() as connection:
        connection.execute(table.update().values(retiredAt=now(), sealedPrivateJwk=None))

    second = signing_key().kid

    assert second != first
    assert [row.sequence for row in rows()] == [1, 2]
    assert published_kids(client) == [second, first]


def record(sequence: int, signs_from: float, *, retired: bool = False) -> KeyRecord:
    return KeyRecord(sequence=sequence, kid=f"k{sequence}", alg="ES256", public_jwk={},
                     sealed=None if retired else "sealed", signs_from=signs_from,
                     retired_at=1.0 if retired else None, published_until=None)


@pytest.mark.parametrize(("records", "at", "chosen"), [
    ((), 100.0, None),
    ((record(1, 0.0),), 100.0, "k1"),
    ((record(1, 0.0), record(2, 200.0)), 100.0, "k1"),  # k2 published, not signing yet
    ((record(1, 0.0), record(2, 200.0)), 200.0, "k2"),  # from its moment on
    ((record(1, 0.0, retired=True), record(2, 50.0)), 100.0, "k2"),
    ((record(1, 0.0, retired=True), record(2, 200.0)), 100.0, "k2"),  # nothing else left
    ((record(1, 0.0, retired=True),), 100.0, None),
])
def test_the_choice_over_a_timeline(records, at, chosen):
    found = choose(records, at)
    assert (found.kid if found else None) == chosen
