"""The domain packages depend one way: auth -> users -> files -> storage, never back up.

Checked on the source (every `import` and `from ... import` of every module under app/,
including imports inside functions), so a new upward import fails here before review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# Higher ranks may import lower or equal ranks; mail and audit sit beside files, under
# users, so that any domain can record an event or queue a message.
DOMAIN_RANK = {"storage": 0, "files": 1, "mail": 1, "audit": 1, "users": 2, "auth": 3}
# Foundations every domain may use; they import no domain at all.
FOUNDATIONS = {
    "after_response", "api", "db_driver", "db_types", "errors", "exceptions", "extensions",
    "guards", "jwt_manager", "pagination", "ratelimit", "ratelimit_store", "request", "request_id",
    "redis_url", "schemas", "scopes", "text",
    "transactions",
}
# The composition root and the presentation layers: they may import anything.
COMPOSITION = {"__init__", "cli", "docs", "health", "models", "web"}


def _imported_app_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name.split(".")[1] for name in names
            if name.startswith("app.") and len(name.split(".")) > 1}


def _top_level(path: Path) -> str:
    return path.relative_to(APP).parts[0].removesuffix(".py")


MODULES = sorted(APP.rglob("*.py"))


def test_every_part_of_app_has_a_place_in_the_layering():
    parts = {_top_level(path) for path in MODULES}
    unplaced = parts - DOMAIN_RANK.keys() - FOUNDATIONS - COMPOSITION
    assert not unplaced, f"decide where these belong in tests/test_import_graph.py: {unplaced}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(APP)))
def test_no_module_imports_up(path):
    part = _top_level(path)
    if part in COMPOSITION:
        return
    imported = _imported_app_modules(path) - {part}
    if part in FOUNDATIONS:
        assert not imported & DOMAIN_RANK.keys(), f"{path.name} is a foundation: {imported}"
        return
    upward = {name for name in imported
              if name in DOMAIN_RANK and DOMAIN_RANK[name] > DOMAIN_RANK[part]}
    composition = imported & COMPOSITION
    assert not upward | composition, (
        f"app/{part} may not import {sorted(upward | composition)} "
        "(allowed direction: auth -> users -> files -> storage)")


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from app.users.models import User\nimport app.auth.tokens\n")
    assert _imported_app_modules(module) == {"users", "auth"}
