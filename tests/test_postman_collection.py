"""The Postman collection covers every documented operation and its fixtures exist.

Newman runs the collection itself (postman/run.sh, or against `make run`); this keeps it
complete as routes are added: an operation in /openapi.json with no request in the
collection fails here, and so does a request without a description or a saved example.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from limits import parse

from app.settings import settings_of

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


def test_every_request_has_a_description_and_a_saved_example():
    collection = json.loads(COLLECTION.read_text())
    missing = [r["name"] for r in _requests(collection["item"])
               if not r["request"].get("description", "").strip() or not r.get("response")]
    # postman/examples.py saves a newman run's responses as the examples (and drafts the
    # missing descriptions from the OpenAPI document).
    assert not missing, f"requests without a description or an example: {missing}"


def test_saved_examples_hold_no_token_or_secret():
    secrets = re.compile(r"eyJ[\w-]+\.[\w-]+\.|sgn_[a-z]+_[\w-]{8,}|\b[A-Z2-7]{32}\b"
                         r"|secret=[A-Z2-7]{16,}")
    for request in _requests(json.loads(COLLECTION.read_text())["item"]):
        for example in request["response"]:
            shown = example["body"] + json.dumps(example["header"])
            assert not secrets.search(shown), request["name"]


def test_the_sign_in_budget_is_the_default_login_rate_limit(app):
    # The collection paces its sign-ins (a collection-level pre-request script) so a run
    # against `make run` never meets LOGIN_RATE_LIMIT's 429, however many folders sign in.
    collection = json.loads(COLLECTION.read_text())
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    limit = parse(settings_of(app).ratelimit.login)
    assert limit.get_expiry() == 60
    assert int(variables["signInsPerMinute"]) == limit.amount
    guard = " ".join(line for event in collection["event"] if event["listen"] == "prerequest"
                     for line in event["script"]["exec"])
    assert "signInsPerMinute" in guard and "setTimeout" in guard
