"""`swerve status`, `kill`, `unkill`, `set` and `explain --from current`: live changes without editing rules/."""

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_support import run_swerve
from conftest import FIXTURES, ROOT

from swerve import live_edits, status
from swerve.errors import CliError
from swerve.live_state import carry_forward

TODAY = datetime.date(2026, 11, 22)


def test_kill_and_unkill_change_only_the_state(example_document: dict) -> None:
    killed = live_edits.kill(example_document, "hero-headline")
    assert {k: v for k, v in killed.items() if k not in ("hash", "state")} == {
        k: v for k, v in example_document.items() if k != "hash"
    }
    assert killed["state"] == {"flags": {"hero-headline": {"killed": True}}}
    with pytest.raises(CliError, match="already killed"):
        live_edits.kill(killed, "hero-headline")
    with pytest.raises(CliError, match="killed by its rule file"):
        live_edits.kill(example_document, "legacy-chat-widget")
    with pytest.raises(CliError, match=r"killed by its rule file .* remove kill_switch there"):
        live_edits.unkill(example_document, "legacy-chat-widget")
    with pytest.raises(CliError, match=r"no flag `hero-headlin` \(did you mean `hero-headline`\?\)"):
        live_edits.kill(example_document, "hero-headlin")
    assert live_edits.unkill(killed, "hero-headline")["hash"] == example_document["hash"]


def test_weights_are_checked_and_the_rollout_rule_is_picked() -> None:
    assert live_edits.parse_weights("a=10, b=90", ["a", "b", "c"]) == {"a": 10, "b": 90, "c": 0}
    for text, message in [
        ("a=10,b=80", "sum to 90, expected 100"),
        ("a=10,x=90", r"`x` is not a variant of this rollout \(its variants: a, b\)"),
        ("a=ten,b=90", "'ten' is not a number"),
        ("a=-10,b=110", "between 0 and 100"),
        ("a", "expected VARIANT=PERCENT"),
    ]:
        with pytest.raises(CliError, match=message):
            live_edits.parse_weights(text, ["a", "b"])
    two = {"flags": [{"key": "f", "rules": [{"rollout": {}}, {"variant": "a"}, {"rollout": {}}]}]}
    with pytest.raises(CliError, match="rollouts in rules 1, 3: name one with --rule N"):
        live_edits.pick_rollout(two, "f", None)
    with pytest.raises(CliError, match=r"rule 2 of `f` is not a rollout \(its rollout rules: 1, 3\)"):
        live_edits.pick_rollout(two, "f", 2)
    assert live_edits.pick_rollout(two, "f", 3) == 2


def test_status_shows_what_the_edge_does(example_document: dict) -> None:
    document = live_edits.kill(example_document, "pricing-layout")
    document = live_edits.set_weights(document, "hero-headline", 1, {"control": 10, "outcome": 90})
    flags = {f.key: f for f in status.flag_statuses(document, TODAY)}
    hero = flags["hero-headline"]
    assert hero.owner == "growth@example.com" and hero.expires == "2027-06-30" and not hero.expired
    assert hero.killed is None and hero.rollouts[0].weights == {"control": 10.0, "outcome": 90.0}
    assert status.describe_rollout(hero.rollouts[0]) == (
        "rule 2: control 10%, outcome 90% (swerve set; rules say control 50%, outcome 50%)"
    )
    assert flags["pricing-layout"].killed == "swerve kill"
    assert flags["legacy-chat-widget"].killed == "kill_switch in rules"
    assert status.flag_statuses(document, datetime.date(2027, 7, 1))[3].expired  # hero-headline, sorted by key
    table = status.render(list(flags.values())).splitlines()
    assert table[0].split() == ["flag", "owner", "expires", "state", "weights", "now"]
    assert any(line.startswith("pricing-layout") and "KILLED (swerve kill)" in line for line in table)
    # A push from files keeps both, and says so.
    carried, notes = carry_forward(example_document, document)
    assert carried["hash"] == document["hash"]
    assert notes == [
        "hero-headline rule 2: keeps the weights set with `swerve set` (control=10, outcome=90); "
        "`swerve set hero-headline --clear`",
        "pricing-layout: stays killed (swerve kill); `swerve unkill pricing-layout` ends it",
    ]


def swerve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, cwd=cwd, env={"SWERVE_AUTHOR": "tester@example.com"})


def test_one_command_changes_are_versions_with_history(tmp_path: Path) -> None:
    """On local KV, in a project of its own (wrangler.toml with [env.local]): no option needed."""
    project = tmp_path / "site"
    project.mkdir()
    shutil.copy(ROOT / "wrangler.toml", project / "wrangler.toml")
    shutil.copytree(FIXTURES / "edge_rules", project / "rules")
    assert swerve("status", cwd=project).stderr.strip().endswith("`swerve push -m MESSAGE` publishes rules/")
    assert swerve("push", "-m", "first", "--yes", cwd=project).returncode == 0
    killed = swerve("kill", "sticky", "-m", "incident 42", cwd=project)
    assert killed.returncode == 0, killed.stderr
    assert "published version 2 (kill sticky), replacing version 1" in killed.stdout
    assert "the next `swerve push` from files keeps this (`swerve unkill sticky` ends it" in killed.stderr
    weights = swerve("set", "sticky", "--weights", "a=20,b=80", cwd=project)
    assert weights.returncode == 0, weights.stderr
    assert "sticky rule 1: a 20%, b 80% (swerve set; rules say a 50%, b 50%)" in weights.stdout
    assert "sticky is killed, so these weights apply only once it is not" in weights.stderr
    shown = swerve("status", cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("live in local (.wrangler/state): version 3")
    assert "set v3 by tester@example.com at " in shown.stdout and "message: set sticky" in shown.stdout
    line = next(x for x in shown.stdout.splitlines() if x.startswith("sticky "))
    assert "KILLED (swerve kill)" in line and "rule 1: a 20%, b 80% (swerve set" in line
    explained = swerve("explain", "--from", "current", "--url", "https://shop.test/", cwd=project)
    assert "explaining with current (v3, local (.wrangler/state))" in explained.stderr
    assert "sticky: a  (killed)" in explained.stdout
    again = swerve("push", "-m", "the same files", "--yes", cwd=project)
    assert "nothing to publish: version 3" in again.stdout  # the kill and the weights carried forward
    assert "live state: sticky: stays killed (swerve kill); `swerve unkill sticky` ends it" in again.stderr
    assert "live state: sticky rule 1: keeps the weights set with `swerve set` (a=20, b=80)" in again.stderr
    history = swerve("history", cwd=project).stdout.splitlines()
    assert [row[:2] + row[2:].split("  ")[0] for row in history] == ["* v3 set", "  v2 kill", "  v1"]
    assert all("tester@example.com" in row for row in history)
