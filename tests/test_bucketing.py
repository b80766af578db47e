"""Hashing details beyond the GrowthBook cases: non-ASCII ids and the seeded fast path."""

import json

import pytest
from conftest import GROWTHBOOK_CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from swerve_edge import bucketing

CASES = json.loads(GROWTHBOOK_CASES.read_text())


def test_conformance_file_has_the_311_cases_we_run() -> None:
    names = ("evalCondition", "hash", "getBucketRange", "chooseVariation", "getEqualWeights", "inNamespace")
    assert sum(len(CASES[k]) for k in names) == 311


@settings(max_examples=300)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=60), st.text(max_size=48))
def test_seed_batch_equals_one_hash_per_seed(seeds: list[str], value: str) -> None:
    batch = bucketing.SeedBatch([bucketing.seed_state(s) for s in seeds])
    assert batch(value) == [bucketing.gb_hash(s, value, 2) for s in seeds]


# Expected values come from GrowthBook's JavaScript hash (charCodeAt over UTF-16) run in node.
@pytest.mark.parametrize(
    ("seed", "value", "expected"),
    [("flag", "Zoë", 0.6176), ("exp", "日本語", 0.931), ("x", "emoji😀id", 0.9108)],
)
def test_non_ascii_ids_hash_like_javascript(seed: str, value: str, expected: float) -> None:
    assert bucketing.gb_hash(seed, value, 2) == pytest.approx(expected, abs=1e-9)
    assert bucketing.SeedBatch([bucketing.seed_state(seed)])(value) == [pytest.approx(expected, abs=1e-9)]


def test_seed_batch_matches_the_reference_hash_for_every_seed() -> None:
    cases = [c for c in CASES["hash"] if c[2] == 2]
    for _seed, value, _version, _expected in cases:
        seeds = [c[0] for c in cases] + [f"flag-{i}" for i in range(40)]
        batch = bucketing.SeedBatch([bucketing.seed_state(s) for s in seeds])
        assert batch(value) == [bucketing.gb_hash(s, value, 2) for s in seeds]


def test_fixed_point_digits_are_exact_for_every_five_digit_half() -> None:
    # SeedBatch's second round reads each half's digits out of v * _DIGITS / 2**40.
    fraction = (1 << 40) - 1
    for v in range(100_000):
        f = v * bucketing._DIGITS
        digits = []
        for _ in range(5):
            digits.append(f >> 40)
            f = (f & fraction) * 10
        assert bytes(48 + d for d in digits) == b"%05d" % v


EDGE_STATES = [0, 1, 9, 10, 99, 100, 9999, 10_000, 99_999, 100_000, 10**8 - 1, 10**8, 10**9 - 1, 10**9, 2**32 - 1]


@settings(max_examples=200)
@given(st.lists(st.integers(0, 2**32 - 1) | st.sampled_from(EDGE_STATES), min_size=1, max_size=70))
def test_second_round_in_lanes_equals_hashing_each_decimal_string(states: list[int]) -> None:
    # With an empty id the first round leaves the states as they are: the batch then hashes
    # exactly their decimal strings (short ones exercise the padding, big ones the reciprocals).
    expected = [(bucketing.fnv1a32(str(s).encode("ascii")) % 10000) / 10000 for s in states]
    assert bucketing.SeedBatch(states)("") == expected
    assert bucketing.SeedBatch(EDGE_STATES + states)("")[len(EDGE_STATES) :] == expected
