"""docs/configuration.md and .env.example are generated from the settings, never stale."""

from __future__ import annotations

from app.settings.build import known_names
from app.settings.reference import (
    DOCS_PATH,
    ENV_EXAMPLE_PATH,
    configuration_markdown,
    env_example,
)


def test_the_configuration_reference_is_up_to_date():
    assert DOCS_PATH.read_text() == configuration_markdown(), (
        "docs/configuration.md is stale: run `flask settings docs`")


def test_the_env_example_is_up_to_date():
    assert ENV_EXAMPLE_PATH.read_text() == env_example(), (
        ".env.example is stale: run `flask settings docs`")


def test_every_setting_is_documented_once_with_a_meaning():
    text = DOCS_PATH.read_text()
    example = ENV_EXAMPLE_PATH.read_text()
    for name in known_names():
        if name in ("AWS_REGION", "AWS_DEFAULT_REGION"):  # S3_REGION's fallbacks
            continue
        assert text.count(f"| `{name}`") == 1, name
        # An open-ended name (AUTH_PROVIDER_<ID>_*) is shown by examples of it.
        shown = f"# {name.split('<')[0]}" if "<" in name else f"# {name}="
        assert shown in example, name
    for line in text.splitlines():
        if line.startswith("| `"):
            assert not line.rstrip().endswith("|  |"), f"no meaning: {line}"


def test_the_cli_writes_both_files(app, tmp_path, monkeypatch):
    from app.settings import reference

    docs, env_file = tmp_path / "configuration.md", tmp_path / ".env.example"
    monkeypatch.setattr(reference, "DOCS_PATH", docs)
    monkeypatch.setattr(reference, "ENV_EXAMPLE_PATH", env_file)

    result = app.test_cli_runner().invoke(args=["settings", "docs"])

    assert result.exit_code == 0, result.output
    assert docs.read_text() == configuration_markdown()
    assert env_file.read_text() == env_example()


def test_show_prints_the_settings_in_effect_with_secrets_masked(app):
    result = app.test_cli_runner().invoke(args=["settings", "show"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "BCRYPT_LOG_ROUNDS=4" in lines and "MAIL_BACKEND=file" in lines
    assert "JWT_SECRET_KEY=***" in lines
    assert app.config["JWT_SECRET_KEY"] not in result.output
