"""Hostile input that used to be a 500 with a traceback (issue 13, item 6).

Each is now a 400/401 problem: a JSON integer past Python's 4,300-digit conversion limit,
a chunked body whose chunk size is not hexadecimal (sent raw to a live gunicorn, which
decodes chunks while the app reads), and a correctly signed token whose `jti` is longer
than the revocation store's column.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token, decode_token

from app import create_app
from app.auth.tokens import issue_token_pair
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
HUGE_INTEGER = b"1" * 5000


@pytest.mark.parametrize("rate_limited", [False, True], ids=["unlimited", "rate-limited"])
@pytest.mark.parametrize("raw", [b'{"email": ' + HUGE_INTEGER + b', "password": "x"}',
                                 b'{"name": "A", "email": "a@example.com", "password": '
                                 + HUGE_INTEGER + b"}"], ids=["email", "password"])
@pytest.mark.parametrize("path", [LOGIN, REGISTER])
def test_an_integer_of_5000_digits_is_400(app_config, path, raw, rate_limited):
    app_config.update(RATELIMIT_ENABLED=rate_limited, RATELIMIT_STORAGE_URI="memory://")
    client = create_app(app_config).test_client()

    response = client.post(path, data=raw, content_type="application/json")

    body = assert_problem(response, 400)
    assert "malformed" in body["detail"]


def raw_request(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.live
@pytest.mark.parametrize("chunk_size", [b"zz", b"-5"])
@pytest.mark.parametrize("content_type", [b"application/json", b"multipart/form-data; "
                                          b"boundary=x", b"application/x-www-form-urlencoded"])
def test_a_chunked_body_with_a_bad_chunk_size_is_400(live_server, chunk_size, content_type):
    server = live_server(workers=1, shared=True)  # the six cases leave nothing behind
    request = (b"POST " + LOGIN.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
               b"Content-Type: " + content_type + b"\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n" + chunk_size + b"\r\n{}\r\n0\r\n\r\n")

    answer = raw_request(server.url, request)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"application/problem+json" in head
    assert b"chunk" in body and b"Traceback" not in body


def test_a_signed_token_with_a_65_character_id_is_401_at_logout(client, user):
    # A real session, so that the over-long id is the token's only fault.
    session_id = decode_token(issue_token_pair(user)["access_token"])["sid"]
    token = create_access_token(identity=str(user.id), expires_delta=timedelta(minutes=5),
                                additional_claims={"ver": 0, "jti": "j" * 65,
                                                   "sid": session_id})

    response = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})

    assert_problem(response, 401)


def test_a_64_character_id_still_logs_out(client, user):
    session_id = decode_token(issue_token_pair(user)["access_token"])["sid"]
    token = create_access_token(identity=str(user.id), additional_claims={
        "ver": 0, "jti": "j" * 64, "sid": session_id})
    headers = {"Authorization": f"Bearer {token}"}

    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_problem(client.get("/api/v1/auth/me", headers=headers), 401)
    assert DEFAULT_PASSWORD  # the account is untouched: it can still sign in
    assert client.post(LOGIN, json={"email": user.email,
                                    "password": DEFAULT_PASSWORD}).status_code == 200
