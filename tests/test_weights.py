"""A rollout's live weights: written, ramped, overridden, stopped (``swerve_edge.weights``)."""

import pytest

from swerve_edge.ruleset import RulesetError, load_ruleset
from swerve_edge.weights import effective_weights

ROLLOUT = {"variants": ["control", "b", "c"], "weights": [50, 30, 20], "coverage": 100}
RAMP = {"variants": ["control", "new"], "weights": [50, 50], "ramp": {"variant": "new", "steps": [1, 5, 25, 50]}}


def test_written_weights_without_state() -> None:
    assert effective_weights(ROLLOUT, {}, "control") == [50, 30, 20]


def test_a_ramp_step_gives_its_variant_the_step_and_the_rest_to_the_others() -> None:
    assert effective_weights(RAMP, {}, "control") == [99, 1]
    assert effective_weights(RAMP, {"ramp_step": 2}, "control") == [75, 25]
    assert effective_weights(RAMP, {"ramp_step": 99}, "control") == [50, 50]  # clamped to the last step


def test_an_operator_override_wins_over_written_and_ramp() -> None:
    assert effective_weights(ROLLOUT, {"weights": {"b": 100}}, "control") == [0, 100, 0]
    assert effective_weights(RAMP, {"ramp_step": 3, "weights": {"control": 90, "new": 10}}, "control") == [90, 10]


def test_a_stopped_variant_gives_its_share_to_the_control() -> None:
    assert effective_weights(ROLLOUT, {"stopped": {"b": {}}}, "control") == [80, 0, 20]


def test_without_the_control_in_the_rollout_the_others_share_in_proportion() -> None:
    assert effective_weights(ROLLOUT, {"stopped": {"control": {}}}, "missing") == [0, 60, 40]


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), -1, "10", None])
def test_hostile_weights_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        effective_weights(ROLLOUT, {"weights": {"b": bad}}, "control")


def flag_document(state: dict) -> dict:
    flag = {
        "key": "f",
        "variants": [{"key": "a", "value": 1}, {"key": "b", "value": 2}],
        "default": "a",
        "rules": [{"rollout": {"variants": ["a", "b"], "weights": [50, 50], "coverage": 100}}],
        "rollout_key": "user.anonymous_id",
        "seed": "f",
    }
    return {"format": 2, "hash": "", "flags": [flag], "segments": [], "events": [], "state": state}


def test_the_loader_applies_the_state_to_ranges_and_kill_switch() -> None:
    ruleset = load_ruleset(flag_document({"flags": {"f": {"killed": True, "rules": {"0": {"stopped": {"b": {}}}}}}}))
    flag = ruleset.by_key["f"]
    assert flag.killed
    assert flag.rules[0].ranges == ((0.0, 1.0), (1.0, 1.0))
    assert flag.rules[0].live == frozenset({"a"})


def test_everything_stopped_means_nobody_enters_the_rollout() -> None:
    state = {"flags": {"f": {"rules": {"0": {"stopped": {"a": {}, "b": {}}}}}}}
    assert load_ruleset(flag_document(state)).by_key["f"].rules[0].ranges == ((0.0, 0.0), (0.0, 0.0))


@pytest.mark.parametrize("state", [[], {"flags": []}, {"flags": {"f": {"rules": {"0": {"weights": {"a": "x"}}}}}}])
def test_a_hostile_state_is_a_ruleset_error(state: object) -> None:
    with pytest.raises(RulesetError):
        load_ruleset(flag_document(state))
