"""The documentation's console examples are real output.

Every `$ swerve ...` example in docs/cli.md whose command runs offline (validate,
explain on rule files, diff of rule files, simulate) runs here, in a project whose
rules/ is the demo rules as shipped; its output must be what the page shows. Examples
that publish to KV show times and hashes of one real run and are not compared.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO_RULES, FIXTURES, ROOT

OFFLINE = ("validate", "explain", "diff", "simulate", "compile")


def examples(page: Path) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of each offline `$ swerve` example on the page."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(), re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            if not lines[i].startswith("$ "):
                i += 1
                continue
            command = lines[i][2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + lines[i].strip()
            output = []
            i += 1
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            words = shlex.split(command)
            if words[0] == "swerve" and words[1] in OFFLINE and "current" not in words:
                found.append((command, output))
    return found


CLI_EXAMPLES = examples(ROOT / "docs" / "cli.md")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    (folder / "rules").symlink_to(DEMO_RULES)
    (folder / "tests").mkdir()
    (folder / "tests" / "fixtures").symlink_to(FIXTURES)
    return folder


def test_the_page_has_offline_examples() -> None:
    assert {shlex.split(c)[1] for c, _ in CLI_EXAMPLES} >= {"validate", "explain", "diff"}


@pytest.mark.parametrize(("command", "expected"), CLI_EXAMPLES, ids=[c for c, _ in CLI_EXAMPLES])
def test_cli_examples_print_what_the_page_shows(project: Path, command: str, expected: list[str]) -> None:
    words = shlex.split(command)
    result = subprocess.run(
        [sys.executable, "-m", "swerve.cli", *words[1:]],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert result.stdout.splitlines() == expected
