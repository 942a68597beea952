"""The Postman collection covers every documented operation and its fixtures exist.

Newman runs the collection itself (postman/run.sh); this keeps it complete as routes are
added: an operation in /openapi.json with no request in the collection fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

POSTMAN = Path(__file__).resolve().parent.parent / "postman"
COLLECTION = POSTMAN / "signet.postman_collection.json"


def _requests(items: list) -> list[dict]:
    found = []
    for item in items:
        found += _requests(item["item"]) if "item" in item else [item]
    return found


def _pattern(path: str) -> re.Pattern:
    # OpenAPI `{user_id}` and Postman `{{userId}}` both stand for one path segment.
    segments = [r"[^/]+" if segment.startswith("{") else re.escape(segment)
                for segment in path.strip("/").split("/")]
    return re.compile("/" + "/".join(segments))


def _request_line(request: dict) -> tuple[str, str]:
    path = "/" + "/".join(request["request"]["url"]["path"])
    return request["request"]["method"].lower(), path


def test_every_documented_operation_has_a_request(client):
    spec = client.get("/openapi.json").get_json()
    lines = [_request_line(r) for r in _requests(json.loads(COLLECTION.read_text())["item"])]
    missing = []
    for path, item in spec["paths"].items():
        for method in item:
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            pattern = _pattern(path)
            if not any(m == method and pattern.fullmatch(p) for m, p in lines):
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"operations with no request in {COLLECTION.name}: {missing}"


def test_every_request_asserts_and_every_uploaded_fixture_exists():
    requests = _requests(json.loads(COLLECTION.read_text())["item"])
    for request in requests:
        scripts = " ".join(line for event in request.get("event", [])
                           if event["listen"] == "test" for line in event["script"]["exec"])
        assert "pm.test(" in scripts, request["name"]
        body = request["request"].get("body", {})
        for part in body.get("formdata", []):
            if part["type"] == "file":
                assert (POSTMAN / "fixtures" / part["src"]).is_file(), part["src"]


def test_the_pattern_tells_paths_apart():
    assert _pattern("/api/v1/files/{file_id}").fullmatch("/api/v1/files/{{fileId}}")
    assert not _pattern("/api/v1/files/{file_id}").fullmatch("/api/v1/files/1/content")
