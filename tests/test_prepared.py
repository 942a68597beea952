"""Statements run straight on the driver give what SQLAlchemy gives (app/prepared.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, column, event, select, table
from sqlalchemy.exc import DBAPIError

from app.extensions import db as _db
from app.files.models import File
from app.files.service import EVERY_FILE, OWN_FILES
from app.prepared import PreparedSelect
from app.tokens.revocation import LOOKUP
from app.tokens.revocation import revoke as revoke_token
from app.users.models import Role, User

AFTER_EVERY_ID = 2**31


def _through_sqlalchemy(statement, parameters) -> list[tuple]:
    return [tuple(row) for row in _db.session.connection().execute(statement, parameters)]


def _files(owner: User, count: int, first: int = 0) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    _db.session.add_all(File(path=f"p/{owner.id}/{n}", type="text/plain", size=n,
                             original_name=f"n{n}.txt", modified_name=f"{owner.id}-{n}.txt",
                             checksum="0" * 64, owner_id=owner.id, created_at=now)
                        for n in range(first, first + count))


@pytest.fixture
def people(app, users):
    """An admin with every optional column set and a plain user with none, with files."""
    admin = users.create(role="admin")
    plain = users.create()
    with app.app_context():
        stored = _db.session.get(User, admin.id)
        stored.email_verified_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        stored.mfa_enabled = True
        stored.password_hash = ""  # has_password is computed from it
        _files(stored, 3)
        revoke_token("revoked-jti", datetime(2099, 1, 1, tzinfo=UTC))
        _db.session.commit()
    return admin, plain


def _lookups(admin: User, plain: User) -> list[dict]:
    return [{"user_id": admin.id, "jti": "revoked-jti", "other_key": "revoked-jti"},
            {"user_id": plain.id, "jti": "fresh", "other_key": "sid:7"},
            {"user_id": AFTER_EVERY_ID, "jti": "x", "other_key": "x"}]


def test_the_token_lookup_gives_sqlalchemys_values(app, people):
    admin, plain = people
    with app.app_context():
        for parameters in _lookups(admin, plain):
            expected = _through_sqlalchemy(LOOKUP.statement, parameters)
            _db.session.rollback()
            got = LOOKUP.rows(parameters)
            assert got == expected
            assert [[type(value) for value in row] for row in got] == \
                   [[type(value) for value in row] for row in expected]
        row = dict(zip(LOOKUP.names, LOOKUP.rows(_lookups(admin, plain)[0])[0], strict=True))
        assert row["role"] is Role.ADMIN and row["revoked"] is True
        assert row["has_password"] is False and row["mfa_enabled"] is True
        assert row["email_verified_at"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("listing", [OWN_FILES, EVERY_FILE], ids=["own", "every"])
def test_a_page_gives_sqlalchemys_values(app, people, listing):
    admin, _plain = people
    parameters = {"owner_id": admin.id, "keyset_after": AFTER_EVERY_ID, "keyset_limit": 2}
    with app.app_context():
        expected = _through_sqlalchemy(listing.select.statement, parameters)
        _db.session.rollback()
        got = listing.select.rows(parameters)
    assert len(got) == 2 and got == expected
    assert all(row[-1].tzinfo is UTC for row in got)  # created_at, aware as the ORM gives it


def test_inside_a_transaction_it_sees_the_transactions_own_writes(app, people):
    admin, _plain = people
    with app.app_context():
        _files(_db.session.get(User, admin.id), 2, first=3)
        _db.session.flush()  # written, not committed: only the session's connection sees it
        page = OWN_FILES.page(limit=10, after=None, owner_id=admin.id)
        _db.session.rollback()
    assert len(page["items"]) == 5


def test_outside_a_transaction_the_session_takes_no_connection(app, people):
    admin, _plain = people
    with app.app_context():
        session = _db.session()
        assert OWN_FILES.page(limit=10, after=None, owner_id=admin.id)["items"]
        assert session.get_transaction() is None  # nothing begun for a plain read


def test_a_listener_on_the_engine_sees_the_statement(app, people):
    admin, _plain = people
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement)

    with app.app_context():
        event.listen(_db.engine, "before_cursor_execute", record)
        try:
            rows = OWN_FILES.select.rows({"owner_id": admin.id, "keyset_after": AFTER_EVERY_ID,
                                          "keyset_limit": 5})
        finally:
            event.remove(_db.engine, "before_cursor_execute", record)
    assert len(rows) == 3
    assert len(seen) == 1 and "files" in seen[0]


def test_an_error_is_reported_as_sqlalchemy_reports_it(app):
    missing = PreparedSelect(select(table("no_such_table", column("id"))))
    with app.app_context(), pytest.raises(DBAPIError, match="no_such_table"):
        missing.rows({})


def test_a_statement_it_cannot_bind_faithfully_is_refused(app):
    expanding = PreparedSelect(select(User.id).where(User.id.in_(bindparam("ids",
                                                                           expanding=True))))
    with app.app_context(), pytest.raises(ValueError, match="'ids'"):
        expanding.rows({"ids": [1, 2]})
