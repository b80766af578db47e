"""`swerve validate` on the example rules and on one broken fixture per error class.

Each fixture states its findings in header comments, ``# expect: LINE | PATH | TEXT``,
and must produce exactly those errors.
"""

import datetime
import subprocess
from pathlib import Path

import pytest
from cli_support import run_swerve
from conftest import DEMO_RULES, FIXTURES, ROOT

from swerve.validate import validate

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, timeout=60)


def expectations(path: Path) -> list[tuple[int, str, str]]:
    found = []
    for line in path.read_text().splitlines():
        if line.startswith("# expect:"):
            number, where, text = (part.strip() for part in line.removeprefix("# expect:").split("|", 2))
            found.append((int(number), where, text))
    return found


def test_demo_rules_are_valid() -> None:
    result = run_cli("validate", str(DEMO_RULES))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 8 flags, 4 segments, 6 events")


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_each_error_class_is_reported_precisely(fixture: Path) -> None:
    expected = expectations(fixture)
    assert expected, f"{fixture.name} states no expectation"
    result = run_cli("validate", str(fixture.relative_to(ROOT)))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == len(expected), result.stderr
    for number, where, text in expected:
        prefix = f"{fixture.relative_to(ROOT)}:{number}: error: {where}: "
        assert any(line.startswith(prefix) and text in line for line in errors), (prefix, text, result.stderr)


def test_duplicates_across_files() -> None:
    folder = FIXTURES / "duplicate_across_files"
    result = run_cli("validate", str(folder.relative_to(ROOT)))
    assert result.returncode == 1
    ((number, where, text),) = expectations(folder / "b.yaml")
    assert f"b.yaml:{number}: error: {where}: {text}" in result.stderr
    assert "a.yaml:2)" in result.stderr


def test_hygiene_warnings_and_strict(tmp_path: Path) -> None:
    rule = tmp_path / "r.yaml"
    rule.write_text("flags:\n  old:\n    expires: 2026-01-01\n    variants: { a: {} }\n    default: a\n")
    _, findings = validate([str(rule)], today=datetime.date(2026, 6, 1))
    messages = sorted((f.severity, f.message) for f in findings)
    assert messages == [
        ("warning", "flag expired on 2026-01-01: remove it or extend it"),
        ("warning", "flag has no owner"),
    ]
    lenient = run_cli("validate", str(rule), "--today", "2026-06-01")
    assert lenient.returncode == 0 and "2 warning(s)" in lenient.stdout
    strict = run_cli("validate", str(rule), "--today", "2026-06-01", "--strict")
    assert strict.returncode == 1 and "error: flags.old: flag has no owner" in strict.stderr


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    rule = tmp_path / "r.yaml"
    rule.write_text("flags:\n  f:\n    variants: { a: {}\n    default: a\n")
    result = run_cli("validate", str(rule))
    assert result.returncode == 1
    assert f"{rule}:4: error: invalid YAML" in result.stderr


def test_an_operator_without_its_dollar_is_a_located_warning(tmp_path: Path) -> None:
    rule = tmp_path / "r.yaml"
    rule.write_text(
        "flags:\n"
        "  f:\n"
        "    owner: a@b.c\n"
        "    expires: 2030-01-01\n"
        "    variants: { a: {}, b: {} }\n"
        "    default: a\n"
        "    rules:\n"
        "      - when:\n"
        "          user.plan: { in: [pro] }\n"
        "        variant: b\n"
    )
    lenient = run_cli("validate", str(rule))
    assert lenient.returncode == 0, lenient.stderr
    assert "1 warning(s)" in lenient.stdout
    (line,) = [line for line in lenient.stderr.splitlines() if ": warning: " in line]
    assert line.startswith(f"{rule}:9: warning: flags.f.rules[0].when.user.plan.in: ")
    assert "write `$in`" in line
    strict = run_cli("validate", str(rule), "--strict")
    assert strict.returncode == 1
    assert f"{rule}:9: error: flags.f.rules[0].when.user.plan.in: " in strict.stderr
