"""Docs that cannot drift: every setting and every CLI command appears in the README."""

from __future__ import annotations

import typer.main

from kb.config import Settings
from tests.conftest import REPO
from web.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str = "kb") -> list[str]:
    click_group = typer.main.get_command(group)
    names = []
    for name, cmd in click_group.commands.items():
        sub = getattr(cmd, "commands", None)
        if sub:
            names += [f"{prefix} {name} {s}" for s in sub]
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_setting_is_documented():
    missing = [f"KB_{name.upper()}" for name in Settings.model_fields if f"`KB_{name.upper()}`" not in README]
    assert not missing, f"settings missing from README: {missing}"


def test_every_cli_command_is_documented():
    commands = _commands(app)
    assert "kb users add" in commands and "kb ingest" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"commands missing from README: {missing}"


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README
