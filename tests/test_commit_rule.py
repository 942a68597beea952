"""A service ends its unit of work through app.transactions.transaction(), once per use case.

Checked on the source: every `.commit()` call under app/ must stand in app/transactions.py
or in one of the few functions below, whose early commit is deliberate. A new direct
commit fails here; so does an entry of the list that no longer commits (stale).
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
ROOT = APP.parent

# (file, function) -> why it commits on its own instead of through transaction().
EARLY_COMMITS = {
    ("app/transactions.py", "transaction"): "the one way a unit of work ends",
    ("app/db_driver.py", "LazyTransactionConnection.commit"):
        "the DB-API connection's COMMIT itself, not a session's",
    ("app/auth/login.py", "_record_failed_login"):
        "a failed sign-in's audit line must outlive the rollback of the failing request",
    ("app/mfa/passkeys.py", "_failed_sign_in"):
        "a failed passkey sign-in's audit line must outlive the rollback of the request",
    ("app/mfa/passkeys.py", "_consume_ceremony"):
        "a challenge answers once: spent before verification, spent even when that fails",
}


def _commits(path: Path) -> set[str]:
    """The qualified names of the functions of `path` that call `.commit()`."""
    found: set[str] = set()

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])
                continue
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "commit"):
                found.add(".".join(scope) or "<module>")
            visit(child, scope)

    visit(ast.parse(path.read_text(), str(path)), [])
    return found


def _all_commits() -> set[tuple[str, str]]:
    return {(str(path.relative_to(ROOT)), name)
            for path in sorted(APP.rglob("*.py")) for name in _commits(path)}


def test_no_commit_outside_transaction_and_the_allow_list():
    stray = sorted(_all_commits() - EARLY_COMMITS.keys())
    assert not stray, (
        f"commit through app.transactions.transaction() instead: {stray} (or, when the "
        "early commit is deliberate, name it in EARLY_COMMITS with the reason)")


def test_every_allowed_early_commit_still_commits():
    stale = sorted(EARLY_COMMITS.keys() - _all_commits())
    assert not stale, f"remove from EARLY_COMMITS, they no longer commit: {stale}"


def test_the_check_sees_a_commit(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("class Service:\n    def save(self):\n        db.session.commit()\n"
                      "def other():\n    session.commit()\n")
    assert _commits(module) == {"Service.save", "other"}


LISTENERS_MODULE = "app/session_events.py"


def _session_listener_calls(path: Path) -> int:
    """How many `event.listen(Session, ...)` / `event.listens_for(Session, ...)` in `path`."""
    count = 0
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("listen", "listens_for") and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id == "Session"):
            count += 1
    return count


def test_session_listeners_are_registered_from_one_module():
    elsewhere = sorted(str(path.relative_to(ROOT)) for path in APP.rglob("*.py")
                       if _session_listener_calls(path)
                       and str(path.relative_to(ROOT)) != LISTENERS_MODULE)
    assert not elsewhere, f"register Session listeners in {LISTENERS_MODULE}: {elsewhere}"
