"""README: the two commands, the command reference generated from --help (cog), and CI."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Hai lệnh cho máy mới\s+```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_starts_with_the_two_commands():
    install, tests = _commands()
    assert install.endswith("reportgen demo")
    assert tests.endswith("python -m pytest")
    assert README.read_text(encoding="utf-8").index("## Hai lệnh cho máy mới") < 800


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = _commands()
    assert tests in ci.splitlines()


def test_command_reference_matches_help():
    from cogapp import Cog

    status = Cog().main(["cog", "--check", str(README)])
    assert status == 0, "README.md is out of date: run `cog -r README.md`"


def test_every_command_is_in_the_reference():
    from reportgen.cli import cli

    text = README.read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"### reportgen {name}\n" in text
        for sub in getattr(command, "commands", {}):
            assert f"### reportgen {name} {sub}\n" in text


def test_performance_figures_are_recorded():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Hiệu năng", 1)[1].split("## English", 1)[0]
    assert "<!-- PERFORMANCE -->" not in section
    assert "forms/s" in section and "3500" in section.replace(".", "").replace(" ", "")
