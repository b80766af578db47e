"""`swerve diff` in the terms of rule files: weights, knock-on exposure, live changes, --exit-code."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_support import run_swerve
from conftest import DEMO_RULES, FIXTURES

from swerve import diff
from swerve.build import compiled_from_sources
from swerve.live_edits import kill, set_weights


def swerve(*args: str) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, timeout=120)


@pytest.fixture
def edited() -> tuple[Path, Path]:
    """The demo rules, and the same with the README's edit: everyone gets the new headline."""
    return DEMO_RULES, FIXTURES / "readme_edit"


def test_weights_as_written_and_knock_on_exposure(edited: tuple[Path, Path]) -> None:
    before, after = edited
    result = swerve("diff", str(before), str(after), "--exit-code")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "~ flag hero-headline" in lines
    assert "    rules[1].rollout.weights: { control: 50, outcome: 50 } -> { control: 0, outcome: 100 }" in lines
    assert "~ flag pricing-layout  (knock-on: prerequisite hero-headline changed)" in lines
    cards = next(line for line in lines if line.startswith("    exposure cards:"))
    share_before, share_after = (float(part.split("%")[0]) for part in cards.split(": ", 1)[1].split(" -> "))
    assert 5 < share_before < 15 and 15 < share_after < 25  # the prerequisite now admits everyone
    assert "bucket" not in result.stdout and "[[0.0" not in result.stdout
    same = swerve("diff", str(before), str(before), "--exit-code")
    assert same.returncode == 0 and same.stdout.startswith("no changes between")
    without = swerve("diff", str(before), str(after))
    assert without.returncode == 0  # without --exit-code, changes are not a failure


def test_a_segment_change_shows_on_the_flags_that_use_it(tmp_path: Path) -> None:
    shutil.copytree(DEMO_RULES, tmp_path / "r")
    segments = tmp_path / "r" / "segments.yaml"
    segments.write_text(segments.read_text().replace("pricing_view: { $gte: 3 }", "pricing_view: { $gte: 4 }"))
    old = compiled_from_sources([str(DEMO_RULES)])
    changes = {c.name: c for c in diff.diff(old, compiled_from_sources([str(tmp_path / "r")]))}
    (before, after) = changes["pricing-curious"].fields["when"]
    assert before["behavior.events.pricing_view"] == {"$gte": 3}
    assert after["behavior.events.pricing_view"] == {"$gte": 4}
    upgrade = changes["upgrade-cta"]
    assert upgrade.knock_on == ["segment pricing-curious changed"]
    share_before, share_after = upgrade.exposure["trial-no-card"]
    assert share_before > share_after > 0  # the population reaches 3 and 4 page views of pricing


def test_live_changes_show_as_live_fields(example_document: dict) -> None:
    killed = kill(example_document, "hero-headline")
    weighted = set_weights(killed, "checkout-theme", 0, {"blue": 0, "green": 50, "orange": 50})
    changes = diff.diff(example_document, weighted)
    by_name = {c.name: c for c in changes}
    assert by_name["hero-headline"].fields == {"live.killed": [None, True]}
    assert by_name["checkout-theme"].fields == {"live.rules[0].weights": [None, {"blue": 0, "green": 50, "orange": 50}]}
    assert by_name["pricing-layout"].knock_on == ["prerequisite hero-headline changed"]
    assert by_name["pricing-layout"].exposure["cards"][1] == 0.0  # its prerequisite is killed
    text = diff.render(changes, "a", "b")
    assert "    live.rules[0].weights: null -> { blue: 0, green: 50, orange: 50 }" in text


def test_json_output_names_the_knock_on(edited: tuple[Path, Path]) -> None:
    before, after = edited
    result = swerve("diff", str(before), str(after), "--json")
    changes = {c["name"]: c for c in json.loads(result.stdout)}
    assert changes["pricing-layout"]["knock_on"] == ["prerequisite hero-headline changed"]
    assert changes["hero-headline"]["fields"]["rules[1].rollout.weights"] == [
        {"control": 50, "outcome": 50},
        {"control": 0, "outcome": 100},
    ]
