"""The docs list every setting (and the README every CLI command), so neither drifts."""

from __future__ import annotations

from pathlib import Path

from trainboard.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_with_its_default_and_help() -> None:
    page = (ROOT / "docs" / "environment_variables.md").read_text()
    for s in SETTINGS:
        default = f" `{s.default}` " if s.default else " "
        assert f"| `{s.env}` |{default}| {s.help} |" in page, s.env


def test_readme_opens_with_the_two_setup_commands() -> None:
    head = (ROOT / "README.md").read_text().split("## Quick start")[0]
    assert "make demo" in head and "make test" in head


def test_readme_documents_every_cli_command() -> None:
    import typer.main

    from trainboard.cli import app

    readme = (ROOT / "README.md").read_text()
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in commands:
        assert f"`trainboard {name}" in readme, f"README.md does not document `trainboard {name}`"


def test_init_signature_in_docs_is_the_code_and_help() -> None:
    """docs/sdk.md shows init()'s signature; it must be the one the code (and help()) has,
    every parameter explicit: none hidden in **kwargs."""
    import inspect
    import re

    import trainboard

    sig = inspect.signature(trainboard.init)
    assert all(p.kind is not p.VAR_KEYWORD for p in sig.parameters.values())
    parts: list[str] = []
    for p in sig.parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    page = (ROOT / "docs" / "sdk.md").read_text()
    block = re.search(r"```\n(init\(.*?\))\n```", page, re.S)
    assert block is not None, "docs/sdk.md has no init(...) block"
    assert "".join(block.group(1).split()) == "init(" + ",".join(parts) + ")"
