"""Shared pieces of the registration tests: the URL, valid bodies and a no-leftovers check."""

from __future__ import annotations

import io
import re

from tests.helpers import row_count, stored_blobs

URL = "/api/v1/auth/register"
USER_KEYS = {"id", "name", "email", "isActive", "role", "profileImageId", "profileImageUrl",
             "createdBy", "updatedBy", "createdAt", "updatedAt", "emailVerified", "mfaEnabled",
             "hasPassword",
             "storageUsed", "storageQuota"}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|gif|webp)$")


def fields(**overrides) -> dict:
    """A valid registration body, with overrides (None removes a field)."""
    body = {"name": "Alan Turing", "email": "alan@example.com", "password": "enigma-machine"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def with_image(data: bytes, filename: str = "me.png", **overrides) -> dict:
    """A multipart registration body carrying `data` as the profile image."""
    return {**fields(**overrides), "profile_image": (io.BytesIO(data), filename)}


def assert_nothing_stored(upload_dir, users_before: int = 0) -> None:
    """No new user row, no file row, no bytes on disk."""
    assert row_count("users") == users_before
    assert row_count("files") == 0
    assert stored_blobs(upload_dir) == []
