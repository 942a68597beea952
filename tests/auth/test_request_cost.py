"""What one authenticated request costs the database: one statement, or none with Redis."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.tokens.test_revocation_store import REDIS_URL


@contextmanager
def counted_statements(engine):
    """Collect every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_me_is_one_statement_with_the_database_store(client, db, user, auth_headers):
    headers = auth_headers(user)
    db.session.expunge_all()  # nothing cached in the session: the request must look it up

    with counted_statements(db.engine) as statements:
        response = client.get("/api/v1/auth/me", headers=headers)

    assert response.status_code == 200
    assert response.get_json()["id"] == user.id
    assert len(statements) == 1, statements
    assert "revoked_tokens" in statements[0] and "users" in statements[0]
    assert "files" not in statements[0]  # the profile image is not joined


@pytest.fixture
def redis_app_config(app_config, redis_prefix):
    """App settings that select the Redis revocation store (and its user cache)."""
    app_config.update(REVOCATION_STORE_URL=REDIS_URL, REVOCATION_KEY_PREFIX=redis_prefix)
    return app_config


@pytest.mark.usefixtures("redis_app_config")
def test_me_sends_no_sql_with_the_redis_store(client, db, user, auth_headers):
    headers = auth_headers(user)
    db.session.expunge_all()
    with counted_statements(db.engine) as first:
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    db.session.expunge_all()

    with counted_statements(db.engine) as second:
        response = client.get("/api/v1/auth/me", headers=headers)

    assert len(first) == 1, first  # the cache was empty: one read fills it
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    assert second == []


def first_page_statements(client, db, user, auth_headers) -> list[str]:
    """The SQL of GET /files (first page of 25 files), the user already looked up once."""
    from app.files.models import File

    db.session.add_all(File(path=f"k/{n}", type="text/plain", original_name=f"{n}.txt",
                            modified_name=f"{n}-{user.id}.txt", size=n, checksum="0" * 64,
                            owner_id=user.id) for n in range(25))
    db.session.commit()
    headers = auth_headers(user)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # cache filled
    db.session.expunge_all()
    with counted_statements(db.engine) as statements:
        response = client.get("/api/v1/files", headers=headers)
    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 20
    # The listing reads the listed columns only, never the storage path.
    assert "FROM files" in statements[-1] and "path" not in statements[-1].split("FROM")[0]
    return statements


def test_a_page_of_files_is_the_token_check_and_one_statement(client, db, user,
                                                               auth_headers):
    assert len(first_page_statements(client, db, user, auth_headers)) == 2


@pytest.mark.usefixtures("redis_app_config")
def test_a_page_of_files_is_one_statement_with_the_redis_store(client, db, user,
                                                                auth_headers):
    assert len(first_page_statements(client, db, user, auth_headers)) == 1


@pytest.mark.usefixtures("redis_app_config")
def test_a_cached_user_still_gets_their_files_and_can_change_password(client, db, user,
                                                                      auth_headers):
    headers = auth_headers(user)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    db.session.expunge_all()

    # The cached copy holds no password hash: the change reads it from the database.
    response = client.post("/api/v1/auth/password", headers=headers, json={
        "current_password": "correct horse battery", "new_password": "a new long password"})

    assert response.status_code == 204, response.get_data(as_text=True)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.get("/api/v1/files", headers=headers).status_code == 401


def test_the_limiter_checks_only_decorated_routes(app_config):
    from app import create_app
    from app.extensions import limiter

    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    application = create_app(app_config)

    # The before-request hook is gone (profiled as waste); decorated limits still apply.
    assert limiter._check_request_limit not in application.before_request_funcs.get(None, [])
    client = application.test_client()
    statuses = [client.post("/api/v1/auth/login", json={
        "email": "nobody@example.com", "password": "wrong password"}).status_code
        for _ in range(3)]
    assert statuses == [401, 401, 429]
