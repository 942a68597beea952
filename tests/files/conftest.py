"""Files fixtures: posting an upload."""

from __future__ import annotations

import pytest


@pytest.fixture
def upload(client, auth_headers):
    """`upload(user, data, name)` posts a file as `user` and returns the response."""

    def post(account, data: bytes, name: str = "file.bin", content_type=None, *,
             headers: dict | None = None, **extra):
        from io import BytesIO

        if headers is None:  # signing in writes a session row: pass headers to avoid it
            headers = auth_headers(account) if account is not None else {}
        part = (BytesIO(data), name, content_type) if content_type else (BytesIO(data), name)
        return client.post("/api/v1/files", data={"file": part, **extra},
                           headers=headers, content_type="multipart/form-data")

    return post
