"""``swerve learn`` as a plan (``swerve.learn.plan_learn``): which rows it learns from, its
cadence, and when it publishes nothing. The command itself runs end to end in
tests/test_adapt_edge.py."""

import datetime
import textwrap
from pathlib import Path

import pytest

from swerve import status
from swerve.build import compiled_from_sources
from swerve.diff import diff
from swerve.learn import LEARN, plan_learn
from swerve.live_state import rehashed
from swerve.publish import Pointer
from swerve.report import iso
from swerve.stat_rows import StatRow
from swerve_edge.ruleset import load_ruleset

T0 = 1_795_132_800  # 2026-11-20T00:00:00Z
HOUR = 3600
RULES = """
events:
  signup: { path: ^/signup/done }
flags:
  offer:
    owner: o
    expires: 2030-01-01
    variants: { standard: {}, trial: {} }
    default: standard
    rules:
      - adapt:
          arms: [standard, trial]
          goal: signup
          features: { behavior.sessions: [2] }
          floor: 5
          min_units: 50
          cadence: 6h
"""


def compile_rules(tmp_path: Path, text: str = RULES) -> dict:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text))
    return compiled_from_sources([str(path)])


def rows(period: int, per_context: dict[str, dict[str, tuple[int, int]]]) -> list[StatRow]:
    out = []
    for context, arms in per_context.items():
        for arm, (units, conversions) in arms.items():
            out.append(StatRow("offer", arm, context, period, "exposure", units))
            out.append(StatRow("offer", arm, context, period, "conversion:signup", conversions))
    return out


# Returning visitors (bucket 1) convert with the trial, first-time ones (bucket 0) with the standard offer.
DATA = {
    "0": {"standard": (300, 30), "trial": (300, 6)},
    "1": {"standard": (200, 4), "trial": (200, 24)},
    "holdout:1": {"standard": (20, 0), "trial": (20, 3)},
}


def history_of(*documents: tuple[dict, int, str]) -> tuple[list[Pointer], dict[int, dict]]:
    pointers, versions = [], {}
    for number, (document, when, action) in enumerate(documents, start=1):
        versions[number] = document
        pointers.append(Pointer(version=number, hash=document["hash"], time=iso(when), action=action))
    return pointers, versions


def test_learn_publishes_weights_per_context_as_a_new_document(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    plan = plan_learn(document, rows(T0, DATA), [], None, T0 + HOUR, seed=1)
    (change,) = plan.changes
    assert change.action == LEARN and change.flag == "offer"
    policy = change.document["state"]["flags"]["offer"]["rules"]["0"]["policy"]
    assert policy["arms"] == ["standard", "trial"] and policy["goal"] == "signup" and policy["seed"] == 1
    assert policy["features"] == document["flags"][0]["rules"][0]["adapt"]["features"]
    assert policy["updated"] == iso(T0 + HOUR)
    assert policy["contexts"]["0"][0] > 90 and policy["contexts"]["1"][1] > 90
    assert min(min(w) for w in policy["contexts"].values()) >= 5
    assert policy["units"]["1"] == 440  # holdout rows are data of their context
    adaptive = load_ruleset(change.document).by_key["offer"].rules[0].adapt
    assert adaptive.learned and adaptive.sources[adaptive.index["1"]] == "1"
    again = plan_learn(document, rows(T0, DATA), [], None, T0 + HOUR, seed=1)
    assert again.changes[0].document == change.document  # deterministic for a seed


def test_learn_waits_for_its_cadence_and_publishes_nothing_that_did_not_move(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    live = plan_learn(document, rows(T0, DATA), [], None, T0 + HOUR, seed=1).changes[0].document
    early = plan_learn(live, rows(T0, DATA), [], None, T0 + 6 * HOUR, seed=1)
    assert early.changes == [] and "the cadence allows the next at 2026-11-20 07:00:00 UTC" in early.lines[0]
    same = plan_learn(live, rows(T0, DATA), [], None, T0 + 7 * HOUR, seed=1)
    assert same.changes == [] and "no weight moved more than 1 points" in same.lines[0]
    more = rows(T0, DATA) + rows(T0 + 2 * HOUR, {"0": {"standard": (50, 0), "trial": (50, 20)}})
    moved = plan_learn(live, more, [], None, T0 + 7 * HOUR, seed=1)
    assert len(moved.changes) == 1


def test_without_enough_units_nothing_is_published(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    plan = plan_learn(document, rows(T0, {"0": {"standard": (20, 2), "trial": (20, 1)}}), [], None, T0, seed=1)
    assert plan.changes == [] and "(40 units)" in plan.lines[0]


def test_a_context_seen_for_the_first_time_gets_weights_of_its_own(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    first = {"0": DATA["0"]}
    live = plan_learn(document, rows(T0, first), [], None, T0, seed=1).changes[0].document
    policy = live["state"]["flags"]["offer"]["rules"]["0"]["policy"]
    assert "1" not in policy["contexts"]
    later = plan_learn(live, rows(T0, DATA), [], None, T0 + 7 * HOUR, seed=1).changes[0].document
    assert "1" in later["state"]["flags"]["offer"]["rules"]["0"]["policy"]["contexts"]


def test_rows_of_an_arm_no_longer_in_the_rules_are_ignored(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    retired = {c: {**arms, "annual": (900, 400)} for c, arms in DATA.items()}
    with_retired = plan_learn(document, rows(T0, retired), [], None, T0, seed=1).changes[0].document
    without = plan_learn(document, rows(T0, DATA), [], None, T0, seed=1).changes[0].document
    assert with_retired["state"] == without["state"]


@pytest.mark.parametrize("replaced", [True, False])
def test_rows_from_before_the_rule_took_its_form_are_left_out(tmp_path: Path, replaced: bool) -> None:
    document = compile_rules(tmp_path)
    if replaced:  # the same rule with another edge: key "0" meant other visitors
        older_text = RULES.replace("behavior.sessions: [2]", "behavior.sessions: [5]")
    else:  # the flag before it was adaptive
        older_text = RULES.split("      - adapt:")[0] + "      - variant: standard\n"
    older = compile_rules(tmp_path, older_text)
    change = T0 + 5 * HOUR + 600
    history, versions = history_of((older, T0, "push"), (document, change, "push"))
    # Before the change the same keys meant other visitors: trial looked best everywhere.
    stale = rows(T0 + 4 * HOUR, {"0": {"standard": (900, 9), "trial": (900, 90)}})
    mixed = rows(T0 + 5 * HOUR, {"0": {"standard": (900, 9), "trial": (900, 90)}})
    current = rows(T0 + 6 * HOUR, {"0": {"standard": (300, 30), "trial": (300, 6)}})
    plan = plan_learn(document, stale + mixed + current, history, versions.get, T0 + 7 * HOUR, seed=1)
    policy = plan.changes[0].document["state"]["flags"]["offer"]["rules"]["0"]["policy"]
    # After another adaptive rule the hour of the change mixes both and is left out too;
    # after a flag that was not adaptive, that hour's context rows are all the new rule's.
    assert policy["units"]["0"] == (600 if replaced else 2400)


def test_a_policy_learned_for_other_features_counts_as_none(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    stale = {"arms": ["standard", "trial"], "features": [], "goal": "signup", "updated": iso(T0), "contexts": {}}
    live = rehashed(document, {"flags": {"offer": {"rules": {"0": {"policy": stale}}}}})
    plan = plan_learn(live, rows(T0, DATA), [], None, T0 + HOUR, seed=1)
    assert len(plan.changes) == 1  # no cadence wait: the stale policy is not what the edge serves


def test_a_learned_version_diffs_context_by_context(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    learned = plan_learn(document, rows(T0, DATA), [], None, T0 + HOUR, seed=1).changes[0].document
    (change,) = diff(document, learned, visitors=2000, now=T0)
    policy = learned["state"]["flags"]["offer"]["rules"]["0"]["policy"]
    assert change.fields["live.rules[0].policy[1]"] == [None, policy["contexts"]["1"]]
    assert change.fields["live.rules[0].policy.updated"] == [None, iso(T0 + HOUR)]
    assert change.exposure["trial"][1] > change.exposure["trial"][0]  # simulated with the learned weights
    assert diff(learned, learned) == []


def test_status_says_whether_an_adaptive_rule_serves_learned_weights(tmp_path: Path) -> None:
    document = compile_rules(tmp_path)
    (before,) = status.flag_statuses(document, datetime.date(2026, 11, 20))
    assert status.describe(before) == [
        "rule 1: adaptive over standard, trial (10% holdout; nothing learned yet: an equal split)"
    ]
    learned = plan_learn(document, rows(T0, DATA), [], None, T0 + HOUR, seed=1).changes[0].document
    (after,) = status.flag_statuses(learned, datetime.date(2026, 11, 20))
    contexts = len(learned["state"]["flags"]["offer"]["rules"]["0"]["policy"]["contexts"])
    assert status.describe(after) == [
        f"rule 1: adaptive over standard, trial (10% holdout; learned {iso(T0 + HOUR)} for {contexts} context(s))"
    ]
    damaged_policy = {**policy_of(learned), "contexts": 7}
    damaged = rehashed(learned, {"flags": {"offer": {"rules": {"0": {"policy": damaged_policy}}}}})
    (broken,) = status.flag_statuses(damaged, datetime.date(2026, 11, 20))
    assert broken.adaptive[0].contexts == 0  # shown, not raised


def policy_of(document: dict) -> dict:
    return document["state"]["flags"]["offer"]["rules"]["0"]["policy"]
