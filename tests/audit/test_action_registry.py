"""app/audit/actions.py lists exactly the actions the code records (the docs show that list).

The calls are read from the source: `record_event("x.y", ...)`, a module constant passed
instead of the string, and wrappers that pass their own parameter on (such as
`record_mfa_change(action, ...)`), whose callers are read in turn.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from app.audit.actions import ACTIONS
from app.audit.service import ACTION_PATTERN

APP = Path(__file__).resolve().parents[2] / "app"


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in APP.rglob("*.py")}


def _constants(tree: ast.Module) -> dict[str, str]:
    return {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def _name_of(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _parameters_of_enclosing_functions(tree: ast.Module) -> dict[int, tuple[str, set[str]]]:
    """For each call node id: (enclosing function name, its parameter names)."""
    enclosing = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            names = {a.arg for a in function.args.args + function.args.kwonlyargs}
            for node in ast.walk(function):
                enclosing[id(node)] = (function.name, names)
    return enclosing


@functools.cache
def recorded_actions() -> frozenset[str]:
    """Every action string that reaches record_event, directly or through a wrapper."""
    trees = _trees()
    constants = {name: value for tree in trees.values() for name, value in _constants(tree).items()}
    enclosing_of = {path: _parameters_of_enclosing_functions(tree) for path, tree in trees.items()}
    recorders, actions, unresolved = {"record_event"}, set(), []
    while True:
        found_wrapper = False
        for path, tree in trees.items():
            enclosing = enclosing_of[path]
            for call in ast.walk(tree):
                if not (isinstance(call, ast.Call) and _name_of(call) in recorders and call.args):
                    continue
                first = call.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    actions.add(first.value)
                elif isinstance(first, ast.Name) and first.id in constants:
                    actions.add(constants[first.id])
                elif (isinstance(first, ast.Name) and id(call) in enclosing
                      and first.id in enclosing[id(call)][1]):
                    wrapper = enclosing[id(call)][0]
                    if wrapper not in recorders:
                        recorders.add(wrapper)
                        found_wrapper = True
                else:
                    unresolved.append(f"{path.relative_to(APP.parent)}:{call.lineno}")
        if not found_wrapper:
            break
    assert not unresolved, f"audit actions this test cannot read: {unresolved}"
    return frozenset(actions)


def test_every_recorded_action_is_listed_and_every_listed_one_is_recorded():
    recorded = recorded_actions()
    assert sorted(recorded - set(ACTIONS)) == [], "recorded but not in app/audit/actions.py"
    assert sorted(set(ACTIONS) - recorded) == [], "in app/audit/actions.py but never recorded"


def test_the_reader_finds_direct_calls_constants_and_wrappers():
    recorded = recorded_actions()
    assert "auth.login" in recorded  # record_event("auth.login", ...)
    assert "auth.registration_duplicate" in recorded  # a module constant
    assert "mfa.totp_enabled" in recorded  # through record_mfa_change(action, ...)


def test_listed_actions_are_well_formed_and_described():
    for action, meaning in ACTIONS.items():
        assert ACTION_PATTERN.match(action), action
        assert meaning.strip().endswith("."), action
