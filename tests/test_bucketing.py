"""Hashing details beyond the GrowthBook cases: non-ASCII ids and the seeded fast path."""

import json

import pytest
from conftest import ROOT
from swerve_edge import bucketing

CASES = json.loads((ROOT.parent / "shared" / "conformance" / "growthbook" / "cases.json").read_text())


def test_conformance_file_has_the_311_cases_we_run() -> None:
    names = ("evalCondition", "hash", "getBucketRange", "chooseVariation", "getEqualWeights", "inNamespace")
    assert sum(len(CASES[k]) for k in names) == 311


# Expected values come from GrowthBook's JavaScript hash (charCodeAt over UTF-16) run in node.
@pytest.mark.parametrize(
    ("seed", "value", "expected"),
    [("flag", "Zoë", 0.6176), ("exp", "日本語", 0.931), ("x", "emoji😀id", 0.9108)],
)
def test_non_ascii_ids_hash_like_javascript(seed: str, value: str, expected: float) -> None:
    assert bucketing.gb_hash(seed, value, 2) == pytest.approx(expected, abs=1e-9)
    assert bucketing.SeededHash(seed)(value) == pytest.approx(expected, abs=1e-9)


def test_seeded_hash_matches_reference_hash() -> None:
    for seed, value, version, expected in CASES["hash"]:
        if version == 2:
            assert bucketing.SeededHash(seed)(value) == pytest.approx(expected, abs=1e-9)
