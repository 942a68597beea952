"""Galera-correct: primary keys everywhere, no unreplicated locks, conflicts retried whole.

The retry tests make MariaDB itself answer 1213 (a deadlock or Galera certification
failure) from a trigger, a given number of times: a counter in a MEMORY table, which a
rollback does not undo. Galera's own conflict is shown by tests/cluster/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.settings import replace_settings
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

ROOT = Path(__file__).resolve().parent.parent
LOGIN_URL = "/api/v1/auth/login"
TRIGGERED = ("users", "audit_events")
# Statements Galera does not replicate, or that lock only the node they run on.
UNREPLICATED = re.compile(
    r"\b(LOCK\s+TABLES?|GET_LOCK|RELEASE_LOCK|IS_FREE_LOCK|IS_USED_LOCK|FLUSH\s+TABLES|"
    r"ENGINE\s*=\s*(MyISAM|Aria|MEMORY)|CREATE\s+TEMPORARY)", re.IGNORECASE)


def test_every_table_has_a_primary_key(db):
    inspector = sa.inspect(db.engine)
    tables = inspector.get_table_names()
    assert "users" in tables
    without = [name for name in tables
               if not inspector.get_pk_constraint(name)["constrained_columns"]]
    assert without == []


def test_no_statement_galera_does_not_replicate():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for folder in ("app", "migrations")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             if UNREPLICATED.search(line)]
    assert found == []


@pytest.fixture
def conflicts(db, db_kind):
    """`conflicts(n)`: the next n inserts into users or audit_events fail with error 1213."""
    if db_kind != "mysql":
        pytest.skip("MariaDB raises the certification/deadlock error (pytest --db=mysql).")
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE conflict_budget (id INT PRIMARY KEY, left_ INT) "
                             "ENGINE=MEMORY"))
        conn.execute(sa.text("INSERT INTO conflict_budget VALUES (1, 0)"))
        for table in TRIGGERED:
            conn.execute(sa.text(f"""
            CREATE TRIGGER conflict_on_{table} BEFORE INSERT ON {table} FOR EACH ROW
            BEGIN
              IF (SELECT left_ FROM conflict_budget WHERE id = 1) > 0 THEN
                UPDATE conflict_budget SET left_ = left_ - 1 WHERE id = 1;
                SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213,
                  MESSAGE_TEXT = 'Deadlock found when trying to get lock; try restarting';
              END IF;
            END"""))

    def arm(count: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE conflict_budget SET left_ = :n"), {"n": count})

    def left() -> int:
        with db.engine.connect() as conn:
            return conn.scalar(sa.text("SELECT left_ FROM conflict_budget"))

    arm.left = left
    yield arm
    with db.engine.begin() as conn:
        for table in TRIGGERED:
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS conflict_on_{table}"))
        conn.execute(sa.text("DROP TABLE IF EXISTS conflict_budget"))


def session_count(db, user_id: int) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT COUNT(*) FROM sessions WHERE userId = :id"),
                           {"id": user_id})


def test_a_conflict_is_retried_into_one_sign_in(app, client, db, user, conflicts):
    conflicts(2)  # two failed runs, the third (DB_RETRY_ATTEMPTS=3) succeeds

    response = client.post(LOGIN_URL, json={"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert conflicts.left() == 0
    assert session_count(db, user.id) == 1  # one session row, not one per attempt


def test_conflicts_beyond_the_budget_are_a_503_with_retry_after(app, client, db, user,
                                                                 conflicts):
    replace_settings(app, DB_RETRY_ATTEMPTS=2)
    conflicts(5)

    response = client.post(LOGIN_URL, json={"email": user.email, "password": DEFAULT_PASSWORD})

    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert conflicts.left() == 3  # exactly two runs
    assert session_count(db, user.id) == 0  # nothing half-written


def test_a_retried_registration_creates_one_account(app, client, db, conflicts):
    replace_settings(app, EMAIL_VERIFICATION="off")
    conflicts(1)
    body = {"name": "Retried", "email": "retried@example.com", "password": DEFAULT_PASSWORD}
    response = client.post("/api/v1/auth/register", json=body)

    assert response.status_code == 201, response.get_json()
    assert conflicts.left() == 0
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
