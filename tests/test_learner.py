"""The adaptive learner (``swerve_edge.learner``) and the edge's context weights lookup."""

import random

import pytest

from swerve_edge.context_weights import (
    equal_split,
    global_key,
    is_key,
    lineage,
    nearest,
    parent_key,
    split_holdout,
    weights_for,
)
from swerve_edge.learner import floored, learn, moved

ARMS = ["standard", "trial", "annual"]


def _simulate(rates: dict[str, list[float]], units: int, seed: int = 1) -> dict[str, dict[str, tuple[int, int]]]:
    """Counts per context and arm from true conversion rates (a fixed pseudo-random population)."""
    rng = random.Random(seed)
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for key, per_arm in rates.items():
        out[key] = {
            arm: (units, sum(rng.random() < p for _ in range(units))) for arm, p in zip(ARMS, per_arm, strict=True)
        }
    return out


def _assert_valid(weights: list[float], floor: float) -> None:
    assert len(weights) == len(ARMS)
    assert sum(weights) == pytest.approx(100.0, abs=1e-9)
    assert min(weights) >= floor


def test_context_keys_and_their_ancestors() -> None:
    assert lineage("2.0.1") == ["2.0.1", "2.0.*", "2.*.*", "*.*.*"]
    assert parent_key("*.*") is None and parent_key("") is None
    assert global_key(3) == "*.*.*" and global_key(0) == ""
    assert is_key("2.0.1", 3) and is_key("2.*.*", 3) and is_key("", 0)
    assert not is_key("2.*.1", 3) and not is_key("2.0", 3) and not is_key("a.0.1", 3) and not is_key("².0.1", 3)
    assert split_holdout("holdout:1.0") == ("1.0", True) and split_holdout("1.0") == ("1.0", False)


def test_weights_for_takes_the_nearest_published_ancestor() -> None:
    contexts = {"*.*.*": [60, 20, 20], "2.*.*": [10, 80, 10], "2.0.1": [5, 5, 90]}
    assert weights_for(contexts, 3, "2.0.1") == [5, 5, 90]
    assert weights_for(contexts, 3, "2.0.2") == [10, 80, 10]  # 2.0.* not published: 2.*.*
    assert weights_for(contexts, 3, "1.4.0") == [60, 20, 20]
    assert weights_for(None, 3, "2.0.1") == equal_split(3)
    assert weights_for({}, 4, "0.0.0") == [25.0] * 4


@pytest.mark.parametrize(
    "damaged",
    [[5, 5], [5, 5, "90"], [0, 0, 0], [5, 5, float("nan")], [-5, 5, 100], "abc", None, {"a": 1}],
)
def test_a_damaged_policy_entry_falls_back_to_the_ancestor(damaged: object) -> None:
    contexts = {"*.*": [50, 25, 25], "1.1": damaged}
    assert weights_for(contexts, 3, "1.1") == [50, 25, 25]
    assert weights_for({"1.1": damaged}, 3, "1.1") == equal_split(3)


def test_zero_data_is_an_equal_split() -> None:
    policy = learn(ARMS, {}, 2, floor=5, min_units=100)
    assert policy.contexts == {"*.*": equal_split(3)}
    assert weights_for(policy.contexts, 3, "1.0") == equal_split(3)


def test_the_floor_holds_even_for_a_hopeless_arm() -> None:
    counts = _simulate({"0.0": [0.01, 0.10, 0.02]}, 2000)
    policy = learn(ARMS, counts, 2, floor=7.5, min_units=100, draws=2000)
    for weights in policy.contexts.values():
        _assert_valid(weights, 7.5)
    assert policy.contexts["0.0"] == [7.5, 85.0, 7.5]  # trial is best in every draw
    with pytest.raises(ValueError):
        learn(ARMS, counts, 2, floor=40)


def test_floored_rounds_to_basis_points_that_sum_to_100() -> None:
    assert floored([1 / 3, 1 / 3, 1 / 3], 0) == [33.34, 33.33, 33.33]
    assert floored([0.0, 0.0, 1.0], 10) == [10.0, 10.0, 80.0]
    assert sum(floored([0.1234, 0.5432, 0.3334], 2.5)) == pytest.approx(100)


def test_a_context_below_min_units_keeps_its_parents_weights() -> None:
    counts = _simulate({"0.0": [0.02, 0.08, 0.02], "0.1": [0.02, 0.08, 0.02]}, 400)
    counts.update(_simulate({"1.0": [0.10, 0.01, 0.01]}, 30, seed=2))  # 90 units < 100
    policy = learn(ARMS, counts, 2, floor=5, min_units=100, draws=2000)
    assert "1.0" not in policy.contexts and "1.*" not in policy.contexts
    assert policy.units["1.0"] == 90
    assert weights_for(policy.contexts, 3, "1.0") == policy.contexts["*.*"]
    assert "0.0" in policy.contexts and "0.*" in policy.contexts
    # Below min units overall, even the global context stays at an equal split.
    assert learn(ARMS, counts, 2, min_units=3000).contexts == {"*.*": equal_split(3)}


def test_a_sparse_context_borrows_from_its_parent() -> None:
    # The parent (everyone in bucket 0 of the first feature) clearly prefers trial; a sparse
    # child leans the other way on a handful of conversions.
    counts = _simulate({"0.0": [0.02, 0.06, 0.02]}, 3000)
    counts["0.1"] = {"standard": (40, 3), "trial": (40, 1), "annual": (40, 1)}
    pooled = learn(ARMS, counts, 2, min_units=100, draws=4000, seed=5)
    alone = learn(ARMS, counts, 2, min_units=100, draws=4000, seed=5, prior_units=2)
    assert pooled.units["0.1"] == 120
    # Unpooled, 3/40 makes standard the favourite; pooled, the parent's evidence for trial counts.
    assert alone.contexts["0.1"][0] > alone.contexts["0.1"][1]
    assert pooled.contexts["0.1"][1] > alone.contexts["0.1"][1]
    assert pooled.contexts["0.1"][0] < alone.contexts["0.1"][0]


def test_plenty_of_data_outweighs_the_parent() -> None:
    counts = _simulate({"0.0": [0.02, 0.08, 0.02], "1.0": [0.09, 0.02, 0.02]}, 3000)
    counts.update(_simulate({"0.1": [0.02, 0.08, 0.02]}, 6000, seed=4))
    policy = learn(ARMS, counts, 2, min_units=100, draws=2000)
    assert policy.contexts["1.0"].index(max(policy.contexts["1.0"])) == 0
    assert policy.contexts["0.0"].index(max(policy.contexts["0.0"])) == 1
    assert policy.contexts["1.0"][0] > 95


def test_the_learner_is_deterministic_for_a_seed() -> None:
    counts = _simulate({"0.0": [0.03, 0.035, 0.03], "1.1": [0.05, 0.04, 0.045]}, 800)
    first = learn(ARMS, counts, 2, min_units=100, draws=1000, seed="2026-11-22")
    assert learn(ARMS, counts, 2, min_units=100, draws=1000, seed="2026-11-22") == first
    assert learn(ARMS, dict(reversed(list(counts.items()))), 2, min_units=100, draws=1000, seed="2026-11-22") == first
    assert learn(ARMS, counts, 2, min_units=100, draws=1000, seed="other") != first


def test_a_context_seen_for_the_first_time() -> None:
    before = _simulate({"0.0": [0.02, 0.08, 0.02]}, 1000)
    old = learn(ARMS, before, 2, min_units=100, draws=2000, seed=1)
    # A visitor in a context nobody was in yet gets its nearest ancestor's weights.
    assert weights_for(old.contexts, 3, "0.2") == old.contexts["0.*"]
    assert weights_for(old.contexts, 3, "3.1") == old.contexts["*.*"]
    # Its first units: it starts from the parent's view, not from scratch.
    after = dict(before)
    after["0.2"] = {"standard": (40, 1), "trial": (40, 2), "annual": (40, 1)}
    new = learn(ARMS, after, 2, min_units=100, draws=2000, seed=1)
    assert new.contexts["0.2"].index(max(new.contexts["0.2"])) == 1
    assert new.contexts["0.0"] == old.contexts["0.0"]  # another context's weights do not move


def test_an_arm_removed_from_the_rules_is_ignored() -> None:
    counts = _simulate({"0.0": [0.02, 0.05, 0.03]}, 1000)
    with_old = {key: {**per_arm, "retired": (5000, 4000)} for key, per_arm in counts.items()}
    assert learn(ARMS, with_old, 2, min_units=100, draws=1000) == learn(ARMS, counts, 2, min_units=100, draws=1000)


def test_an_added_arm_gets_a_share() -> None:
    counts = _simulate({"0.0": [0.03, 0.05, 0.0]}, 1000)
    for per_arm in counts.values():
        del per_arm["annual"]  # the new arm has no data yet
    policy = learn(ARMS, counts, 2, floor=2, min_units=100, draws=2000)
    weights = policy.contexts["0.0"]
    _assert_valid(weights, 2)
    assert weights[2] > 2  # more than the floor: it may be best
    assert weights[1] > weights[2]  # it starts near the other arms' rate, not at an optimistic 50%


def test_holdout_rows_count_as_data_of_their_context() -> None:
    counts = _simulate({"1.0": [0.02, 0.06, 0.02]}, 500)
    split = {"1.0": {a: (n // 2, c // 2) for a, (n, c) in counts["1.0"].items()}}
    split["holdout:1.0"] = {a: (n - n // 2, c - c // 2) for a, (n, c) in counts["1.0"].items()}
    assert learn(ARMS, split, 2, min_units=100, draws=1000) == learn(ARMS, counts, 2, min_units=100, draws=1000)


def test_keys_of_another_feature_list_are_ignored_and_named() -> None:
    counts = _simulate({"0.0": [0.02, 0.06, 0.02], "0.0.1": [0.5, 0.5, 0.5], "": [0.5, 0.5, 0.5]}, 300)
    policy = learn(ARMS, counts, 2, min_units=100, draws=1000)
    assert policy.ignored == ("", "0.0.1")
    assert policy.units["*.*"] == 900


def test_a_flag_without_features_learns_one_global_policy() -> None:
    counts = _simulate({"": [0.02, 0.06, 0.02], "holdout:": [0.02, 0.06, 0.02]}, 1000)
    policy = learn(ARMS, counts, 0, floor=5, min_units=100, draws=1000)
    assert list(policy.contexts) == [""]
    assert policy.contexts[""].index(max(policy.contexts[""])) == 1


def test_top_two_keeps_a_challenger_in_play() -> None:
    counts = _simulate({"0.0": [0.02, 0.08, 0.05]}, 3000)
    plain = learn(ARMS, counts, 2, min_units=100, draws=2000).contexts["0.0"]
    top_two = learn(ARMS, counts, 2, min_units=100, draws=2000, top_two=True).contexts["0.0"]
    assert plain[1] == 100.0
    # The leader is played half the time; the runner-up takes the challenger's half.
    assert top_two == [0.0, 50.0, 50.0]


def test_moved_says_whether_a_new_policy_is_worth_publishing() -> None:
    old = {"*.*": [40.0, 60.0], "1.*": [10.0, 90.0]}
    assert not moved(old, {"*.*": [40.5, 59.5], "1.*": [10.0, 90.0]}, tolerance=1.0)
    assert moved(old, {"*.*": [42.0, 58.0], "1.*": [10.0, 90.0]}, tolerance=1.0)
    assert moved(old, {"*.*": [40.0, 60.0]}, tolerance=1.0)
    assert moved(None, old, tolerance=1.0)


def test_nearest_names_the_context_whose_weights_apply() -> None:
    contexts = {"*.*": [50, 50], "1.*": [20, 80]}
    assert nearest(contexts, 2, "1.3") == ("1.*", [20.0, 80.0])
    assert nearest(contexts, 2, "0.3") == ("*.*", [50.0, 50.0])
    assert nearest(None, 2, "0.3") == (None, [50.0, 50.0])
