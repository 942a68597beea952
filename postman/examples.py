"""Save newman's responses as the collection's example responses, secrets redacted.

    node_modules/.bin/newman run ... --reporters cli,json --reporter-json-export report.json
    .venv/bin/python postman/examples.py report.json

Each request of the collection gets one saved example (Postman's "response" entry) from
the run: status, headers and body. Tokens, TOTP secrets, recovery codes, ceremonies and
device cookies are replaced by "<redacted>"; binary bodies by a note; long bodies are cut.
Requests the run did not reach keep the examples they had. A request without a
description gets one from the run's OpenAPI document (the operation's summary, what the
request's name says it checks, the collection variables it uses and sets): edit it after.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

COLLECTION = Path(__file__).resolve().parent / "signet.postman_collection.json"
REDACTED = "<redacted>"
# JSON keys whose values are secrets or one-time values (in any object of the body).
SECRET_KEYS = {"access_token", "refresh_token", "mfa_token", "token", "secret", "otpauthUri",
               "recoveryCodes", "ceremony", "challenge", "qrSvg"}
SECRET_HEADERS = {"set-cookie", "x-signet-device"}
# Headers that only describe this run's connection; an example is clearer without them.
NOISE_HEADERS = {"date", "connection", "content-length", "transfer-encoding", "etag",
                 "last-modified"}
# Whatever slips past the keys: JWTs, personal tokens, base32 TOTP secrets.
SECRET_PATTERNS = [re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), re.compile(r"sgn_[a-z]+_[\w-]+"),
                   re.compile(r"secret=[A-Z2-7]{16,}")]
MAX_BODY = 6000
TEXT_TYPES = ("application/json", "application/problem+json", "text/")


def redact_json(value):
    """The same JSON with every secret key's value replaced."""
    if isinstance(value, dict):
        return {k: _redacted(v) if k in SECRET_KEYS else redact_json(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def _redacted(value):
    # A list keeps its length (ten recovery codes show as ten); null and "" stay.
    if isinstance(value, list):
        return [REDACTED] * len(value)
    return value if value in (None, "") else REDACTED


def redact_text(text: str) -> str:
    """Text with anything shaped like a token replaced."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def example_body(content_type: str, data: bytes) -> tuple[str, str]:
    """The example's body and Postman preview language for one response."""
    if not data:
        return "", "text"
    if not content_type.startswith(TEXT_TYPES):
        return f"({len(data)} bytes of {content_type.split(';')[0]}, not shown)", "text"
    text = data.decode("utf-8", "replace")
    if "json" in content_type:
        text = json.dumps(redact_json(json.loads(text)), indent=2)
        language = "json"
    else:
        language = "html" if "html" in content_type else "text"
    text = redact_text(text)
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY] + f"\n... ({len(text) - MAX_BODY} more characters, cut here)"
        language = "text"
    return text, language


def example(item: dict, response: dict) -> dict:
    """A Postman example response built from one newman execution."""
    headers = [{"key": h["key"], "value": REDACTED if h["key"].lower() in SECRET_HEADERS
                else redact_text(h["value"])}
               for h in response["header"] if h["key"].lower() not in NOISE_HEADERS]
    content_type = next((h["value"] for h in headers if h["key"].lower() == "content-type"), "")
    body, language = example_body(content_type, bytes(response["stream"]["data"]))
    return {"name": f"{response['code']} {response['status']}",
            "originalRequest": item["request"], "status": response["status"],
            "code": response["code"], "_postman_previewlanguage": language,
            "header": headers, "cookie": [], "body": body}


def _operations(executions: list) -> list[tuple[str, re.Pattern, dict]]:
    spec = next((json.loads(bytes(e["response"]["stream"]["data"])) for e in executions
                 if e["request"]["url"].get("path") == ["openapi.json"]), {"paths": {}})
    return [(method, re.compile("/" + "/".join(
                r"[^/]+" if part.startswith("{") else re.escape(part)
                for part in path.strip("/").split("/"))), operation)
            for path, item in spec["paths"].items() for method, operation in item.items()
            if isinstance(operation, dict)]


def description(item: dict, operations: list) -> str:
    """A first description of a request: its operation, its case, its variables."""
    request = item["request"]
    path = "/" + "/".join(request["url"]["path"])
    operation = next((op for method, pattern, op in operations
                      if method == request["method"].lower() and pattern.fullmatch(path)), {})
    scripts = " ".join(line for event in item.get("event", [])
                       for line in event["script"]["exec"])
    uses = sorted(set(re.findall(r"\{\{(\w+)\}\}", json.dumps(request))) - {"baseUrl"})
    sets = sorted(set(re.findall(r'collectionVariables\.set\("(\w+)"', scripts)))
    summary = operation.get("summary", "").rstrip(".")
    parts = [f"**{request['method']} {path}**" + (f": {summary}." if summary else ""),
             f"Checks: {item['name']}."]
    variables = " ".join(f"{verb} " + ", ".join(f"`{{{{{name}}}}}`" for name in names) + "."
                         for verb, names in (("Uses", uses), ("Sets", sets)) if names)
    return "\n\n".join(parts + ([variables] if variables else []))


def requests_of(items: list) -> list[dict]:
    """Every request item, folders flattened, in run order."""
    found = []
    for item in items:
        found += requests_of(item["item"]) if "item" in item else [item]
    return found


def main(report_path: str) -> None:
    """Write the report's responses into the collection as examples."""
    collection = json.loads(COLLECTION.read_text())
    by_name = {item["name"]: item for item in requests_of(collection["item"])}
    executions = json.loads(Path(report_path).read_text())["run"]["executions"]
    operations = _operations(executions)
    for item in by_name.values():
        if not item["request"].get("description", "").strip():
            item["request"]["description"] = description(item, operations)
    saved = 0
    for execution in executions:
        item = by_name.get(execution["item"]["name"])
        if item is not None and "response" in execution:
            item["response"] = [example(item, execution["response"])]
            saved += 1
    COLLECTION.write_text(json.dumps(collection, indent=2, ensure_ascii=False) + "\n")
    print(f"{saved} examples saved; {len(by_name)} requests in the collection")


if __name__ == "__main__":
    main(sys.argv[1])
