"""Leaving fixtures: posting an upload, as in the files tests."""

from tests.files.conftest import upload  # noqa: F401 - fixture, re-exported for this folder
