"""The README's first screen gives a newcomer two commands; CI must run the second one, verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _first_screen_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_opens_with_exactly_a_run_and_a_test_command():
    assert _first_screen_commands() == ["./portal run", "./portal test"]


def test_ci_runs_the_readmes_test_command_and_nothing_else():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-1] == f"exec {_first_screen_commands()[1]}"
    # Only shell set-up before it: strict mode and moving to the repository root.
    assert lines[:-1] == ["set -euo pipefail", 'cd "$(dirname "$0")/.."']


def test_the_test_command_checks_formatting_as_well_as_lint():
    body = re.search(r"cmd_test\(\) \{\n(.*?)\n\}", (ROOT / "portal").read_text(), re.S).group(1)
    assert '"$VENV/bin/ruff" check .' in body
    assert '"$VENV/bin/ruff" format --check .' in body


def test_the_test_command_checks_the_layers():
    """A new upward import (scheduling importing intake, say) fails CI."""
    body = re.search(r"cmd_test\(\) \{\n(.*?)\n\}", (ROOT / "portal").read_text(), re.S).group(1)
    assert '"$VENV/bin/lint-imports"' in body
