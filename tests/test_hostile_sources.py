"""Rule files written to hurt: validate answers each with one located line, never a traceback.

Alias bombs and deep nesting are refused before anything recursive or expanding runs;
bytes that are not UTF-8, characters YAML forbids and values JSON cannot hold are findings
at their line; and what validate lets through, compile and explain can handle.
"""

import subprocess
from pathlib import Path

from cli_support import run_swerve
from conftest import FIXTURES, ROOT

from swerve.sources import MAX_DEPTH, MAX_VALUES


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # A timeout, not a timing: without the bounds these runs grow memory or recurse until they die.
    return run_swerve(*args, timeout=60)


def only_error(result: subprocess.CompletedProcess[str], file: Path) -> tuple[int, str]:
    """The single finding of a failed validate: its line and message, in the usual one-line form."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[1].startswith("invalid: 1 error(s)"), result.stderr
    location, _, message = lines[0].partition(": error: ")
    name, _, number = location.rpartition(":")
    assert name == str(file) and number.isdigit(), lines[0]
    return int(number), message


def test_an_alias_bomb_is_refused_at_the_alias_that_explodes(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    bomb.write_text("\n".join(rows) + "\n")
    line, message = only_error(run_cli("validate", str(bomb)), bomb)
    assert line == 6 and message.startswith(f"aliases expand the document to more than {MAX_VALUES:,} values")


def test_deep_nesting_is_refused_before_any_recursion(tmp_path: Path) -> None:
    deep_and = tmp_path / "and.yaml"
    deep_and.write_text("segments:\n  s:\n    when: " + "{$and: [" * 250 + "{request.path: x}" + "]}" * 250 + "\n")
    line, message = only_error(run_cli("validate", str(deep_and)), deep_and)
    assert line == 3 and message.startswith(f"nested deeper than {MAX_DEPTH} levels")
    deep_list = tmp_path / "list.yaml"
    deep_list.write_text("flags:\n  f:\n    variants:\n      a:\n        value: " + "[" * 600 + "]" * 600 + "\n")
    line, message = only_error(run_cli("validate", str(deep_list)), deep_list)
    assert line == 5 and message.startswith(f"nested deeper than {MAX_DEPTH} levels")
    # An alias can nest a document too: it counts where it is used.
    shallow = "x: &x " + "[" * 30 + "]" * 30 + "\n"
    via_alias = tmp_path / "alias.yaml"
    via_alias.write_text(shallow + "y: " + "[" * 30 + "*x" + "]" * 30 + "\n")
    line, message = only_error(run_cli("validate", str(via_alias)), via_alias)
    assert line == 2 and message == f"alias *x nests the document deeper than {MAX_DEPTH} levels"


def test_unreadable_bytes_are_one_located_line(tmp_path: Path) -> None:
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"flags:\n  f:\n    variants: { a: {} }\n    default: a\x00\n")
    assert only_error(run_cli("validate", str(nul)), nul) == (4, "character U+0000 is not allowed in YAML: remove it")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"flags:\n  f:\n    description: caf\xe9\n    variants: { a: {} }\n")
    assert only_error(run_cli("validate", str(latin)), latin) == (
        3,
        "byte 0xe9 is not UTF-8 text: save the file as UTF-8",
    )


def test_values_json_cannot_hold_never_reach_compile_or_explain() -> None:
    fixture = FIXTURES / "invalid" / "non_finite.yaml"
    for command in (["compile"], ["explain"]):
        result = run_cli(*command, str(fixture.relative_to(ROOT)))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "`.inf` is not a number JSON can hold" in result.stderr


def test_a_lone_surrogate_is_refused_at_its_line(tmp_path: Path) -> None:
    rule = tmp_path / "surrogate.yaml"
    rule.write_text('flags:\n  f:\n    variants:\n      a: { value: "\\ud800" }\n    default: a\n')
    result = run_cli("compile", str(rule))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{rule}:4: error: flags.f.variants.a.value: this text holds a lone surrogate" in result.stderr
