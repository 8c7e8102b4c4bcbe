"""The README's two commands are the ones CI runs, and the console script is declared."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [b.strip() for b in blocks if "pip install" in b]


def test_readme_has_exactly_the_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("clsim train --setup behavior-il")
    assert commands[1].endswith("pytest")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()


def test_console_script_points_at_the_cli():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'clsim = "clsim.cli.app:main"' in pyproject.splitlines()
    torch = re.search(r'"(torch[^"]*)"', pyproject).group(1)
    assert torch.startswith("torch>=") and "2.13.0" not in torch, "a range that the pinned CPU build satisfies"
