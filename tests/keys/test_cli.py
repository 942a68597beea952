"""`flask keys rotate|list|retire|reseal`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.keys import signing_key
from tests.keys.helpers import move, published_kids, rows


@pytest.fixture
def keys(app):
    """Run `flask keys ...` against the test app."""
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["keys", *args])

    return invoke


def test_list_says_when_there_is_no_key_yet(keys):
    result = keys("list")

    assert result.exit_code == 0
    assert "No signing keys yet" in result.output


def test_rotate_list_retire_over_a_key_change(keys, client):
    first = signing_key().kid

    rotated = keys("rotate")
    assert rotated.exit_code == 0, rotated.output
    second = rows()[-1].kid
    assert f"Added ES256 key {second}: published now, signs from" in rotated.output
    assert published_kids(client) == [second, first]
    listing = keys("list").output.splitlines()
    assert [line.split()[:3] for line in listing] == [[first, "ES256", "signing"],
                                                      [second, "ES256", "waiting"]]

    refused = keys("retire", first)
    assert refused.exit_code == 1
    assert "signs now and no other key may sign yet" in refused.output

    move(second, signs_from=-timedelta(hours=1))
    assert [line.split()[2] for line in keys("list").output.splitlines()] == [
        "verifying", "signing"]
    retired = keys("retire", first)
    assert retired.exit_code == 0, retired.output
    assert f"Retired {first}: published until" in retired.output
    assert [line.split()[2] for line in keys("list").output.splitlines()] == [
        "retired", "signing"]
    assert published_kids(client) == [second, first]

    move(first, published_until=-timedelta(days=1))
    assert [line.split()[2] for line in keys("list").output.splitlines()] == [
        "unpublished", "signing"]
    assert published_kids(client) == [second]


def test_rotate_with_another_algorithm_now_and_retire_a_leaked_key(keys, client):
    leaked = signing_key().kid

    rotated = keys("rotate", "--alg", "EdDSA", "--now")
    assert rotated.exit_code == 0, rotated.output
    assert signing_key().alg == "EdDSA"
    result = keys("retire", leaked, "--compromised")

    assert result.exit_code == 0, result.output
    assert published_kids(client) == [signing_key().kid]


@pytest.mark.parametrize("kid", ["nope", "-nope", "--nope"])
def test_retire_names_an_unknown_kid(keys, kid):
    # Thumbprints may start with "-": the kid is never mistaken for an option.
    result = keys("retire", kid)

    assert result.exit_code == 1, result.output
    assert f"No signing key has the kid '{kid}'" in result.output


def test_an_unknown_algorithm_is_refused(keys):
    result = keys("rotate", "--alg", "HS256")

    assert result.exit_code == 2
    assert rows() == []
