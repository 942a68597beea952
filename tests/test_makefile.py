"""`make run` installs what the service needs to run; `make test` adds the test tools."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.live_server import ROOT


def planned_commands(target: str, tmp_path) -> str:
    """The commands `make TARGET` would run for a checkout with no virtualenv yet."""
    if shutil.which("make") is None:
        pytest.fail("make is missing: the README's commands need it")
    # make -n still runs the recipe lines that call $(MAKE), among them `test`'s MariaDB
    # probe, which under CI=true fails without a virtualenv: plan as a newcomer would.
    env = {**os.environ, "CI": ""}
    return subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True).stdout


def test_make_run_installs_only_the_runtime_requirements(tmp_path):
    commands = planned_commands("run", tmp_path)
    assert "pip install --quiet -r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands


@pytest.mark.parametrize("target", ["test", "test-sqlite", "lint"])
def test_the_test_targets_install_the_dev_requirements(tmp_path, target):
    assert "pip install --quiet -r requirements-dev.txt" in planned_commands(target, tmp_path)


def test_make_docs_builds_the_site_strictly_with_the_dev_requirements(tmp_path):
    commands = planned_commands("docs", tmp_path)
    assert "pip install --quiet -r requirements-dev.txt" in commands
    assert "mkdocs build --strict" in commands
