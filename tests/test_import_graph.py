"""Packages depend one way, and nothing imports in a circle.

Checked on the source (every `import` and `from ... import` of every module under app/,
including imports inside functions), so an upward import or a cycle fails here before
review. Each package has its own rank, sub-packages included (`app.x.y` is ranked apart
from `app.x`); a package may import its own modules and packages of a lower rank only.
Cycles are looked for twice: between packages (which the ranks alone rule out only if
every package is ranked) and between modules (two modules of one package importing each
other, which no rank can see).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# Top-level modules that compose the application: they may import anything.
ROOT_MODULES = {"__init__", "cli", "docs", "health", "models", "session_events"}
# The other top-level modules are the foundations (to become app/core): api glue, errors,
# exceptions, transactions, pagination, rate limits, request, scopes, settings.
ROOT, CORE = "(root)", "(core)"
# Higher ranks may import lower ranks; equal ranks may not import each other.
RANK = {
    ROOT: 100,
    # The OpenID Provider: protocol endpoints and pages for other applications, on top of
    # the browser pages (it sends a signed-out browser through their sign-in).
    "oauth_server": 95,
    "web": 90,  # the browser pages: a presentation of the API below
    "account": 80,  # registration, email flows, invitations, password, deletion, export
    "federation": 75,  # provider sign-in: a sign-in flow over auth's tokens and mfa's step
    "auth": 70,  # sign-in flow and the token check: asks mfa for verdicts, starts sessions
    "mfa": 60,  # second factors: TOTP, recovery codes, passkeys (never issues tokens)
    "sessions": 60,  # sign-in sessions, their rotation and ending
    "tokens": 50,  # revocation store, user cache, user rows, personal access tokens
    "users": 40,
    "keys": 35,  # signing keys and the JWKS: sign whatever they are handed, know no users
    "files": 30,
    "mail": 30,
    "audit": 30,
    "storage": 20,
    CORE: 10,
    "settings": 5,  # the typed settings: every package reads them, they import no app code
}


def module_name(path: Path, root: Path = APP) -> str:
    """`app.x.y` for app/x/y.py, `app.x` for app/x/__init__.py."""
    parts = ("app", *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path, root: Path = APP) -> str:
    """The package a module belongs to: its folder under app/ (dotted), or ROOT/CORE."""
    folder = path.relative_to(root).parent.parts
    if folder:
        return ".".join(folder)
    return ROOT if path.stem in ROOT_MODULES else CORE


def imported_modules(path: Path, known: Iterable[str]) -> set[str]:
    """The app modules `path` imports, resolved to modules that exist (`known`)."""
    known = set(known)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in known else node.module)
    found = set()
    for name in names:
        while name and name not in known:  # `import app.x.y as z` names a known module
            name = name.rpartition(".")[0]
        if name.startswith("app"):
            found.add(name)
    return found


def module_graph(root: Path = APP) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Imports between app modules, and each module's package."""
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph = {name: imported_modules(path, paths) - {name} for name, path in paths.items()}
    return graph, {name: package_of(path, root) for name, path in paths.items()}


def package_graph(modules: Mapping[str, set[str]], packages: Mapping[str, str]):
    """Imports between packages (a package's own modules left out)."""
    graph: dict[str, set[str]] = {package: set() for package in packages.values()}
    for module, imported in modules.items():
        graph[packages[module]].update(packages[name] for name in imported
                                       if name in packages)
        graph[packages[module]].discard(packages[module])
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every group of nodes that import each other in a circle (Tarjan's SCC), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


MODULES, PACKAGES = module_graph()


def test_every_package_has_a_rank():
    unranked = set(PACKAGES.values()) - RANK.keys()
    assert not unranked, f"decide where these belong in tests/test_import_graph.py: {unranked}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_up(module):
    package = PACKAGES[module]
    upward = sorted(name for name in MODULES[module]
                    if PACKAGES[name] != package and RANK[PACKAGES[name]] >= RANK[package])
    assert not upward, (f"{module} ({package}, rank {RANK[package]}) may not import "
                        f"{upward}: only lower ranks")


def test_no_cycle_between_packages():
    assert cycles(package_graph(MODULES, PACKAGES)) == []


def test_no_cycle_between_modules():
    assert cycles(MODULES) == []


def _declares_routes(module: str) -> bool:
    path = APP.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ".route(" in path.read_text()


def test_no_route_module_imports_another():
    routes = {name for name in MODULES if _declares_routes(name)}
    wrong = {name: sorted(MODULES[name] & routes) for name in routes if MODULES[name] & routes}
    assert not wrong, f"route modules importing route modules: {wrong}"


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "app"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_check_sees_cycles_between_modules_and_packages(tmp_path):
    root = _tree(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "a/__init__.py": "",
        "a/one.py": "from app.a.two import thing\n",
        "a/two.py": "def f():\n    import app.a.one\n",  # inside a function counts too
        "b/__init__.py": "",
        "b/three.py": "from app.c import four\n",
        "c/__init__.py": "",
        "c/four.py": "from app.b.three import x\nfrom app.errors import E\n",
        "c/sub/__init__.py": "",
        "c/sub/five.py": "from app.c.four import y\n",
    })
    modules, packages = module_graph(root)
    assert packages["app.c.sub.five"] == "c.sub" and packages["app.errors"] == CORE
    assert cycles(modules) == [["app.a.one", "app.a.two"], ["app.b.three", "app.c.four"]]
    assert cycles(package_graph(modules, packages)) == [["b", "c"]]


def test_the_check_sees_an_upward_import(tmp_path):
    root = _tree(tmp_path, {
        "users/__init__.py": "", "users/models.py": "",
        "auth/__init__.py": "", "auth/tokens.py": "",
        "bad.py": "from app.users.models import User\nimport app.auth.tokens\n",
    })
    known = {module_name(path, root) for path in root.rglob("*.py")}
    assert imported_modules(root / "bad.py", known) == {"app.users.models", "app.auth.tokens"}
