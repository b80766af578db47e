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
