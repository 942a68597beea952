"""The README is a landing page and the rest is a MkDocs site that builds with --strict."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from app.audit.actions import as_markdown
from tests.live_server import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"


def test_the_site_builds_with_strict_checks(tmp_path):
    # --strict (and mkdocs.yml's validation) fails on a broken link or anchor, a missing
    # page, or a page left out of the nav.
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "audit" / "index.html").is_file()
    assert "auth.login_mfa_failed" in (tmp_path / "audit" / "index.html").read_text()


def test_the_readme_is_a_landing_page_whose_links_resolve():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    for command in ("make run", "make test", "make cluster"):
        assert f"\n{command} " in text, command
    links = re.findall(r"\]\(([^)#\s]+)", text)
    assert any(link.startswith("docs/img/") for link in links), "screenshots"
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert [link for link in local if not (ROOT / link).exists()] == []


def test_the_audit_page_lists_exactly_the_recorded_actions():
    # app/audit/actions.py is checked against the code (tests/audit/test_action_registry.py);
    # the page shows its table as `python -m app.audit.actions` prints it.
    assert as_markdown() in (DOCS / "audit.md").read_text()


def test_the_pages_other_work_fills_in_exist_for_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in ("configuration.md", "providers.md", "tokens.md", "openid-provider.md",
                 "pages.md", "scaling.md"):
        assert (DOCS / page).is_file() and f" {page}" in nav, page
