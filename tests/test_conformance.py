"""GrowthBook's public SDK test cases, run against the edge evaluator's own functions.

The cases, and their license, are in tests/conformance/growthbook/.
"""

import json

import pytest
from conftest import GROWTHBOOK_CASES

from swerve_edge import bucketing
from swerve_edge.conditions import eval_condition

CASES = json.loads(GROWTHBOOK_CASES.read_text())


def _ids(category: str) -> list[str]:
    return [f"{i}:{case[0]}" for i, case in enumerate(CASES[category])]


@pytest.mark.parametrize("case", CASES["evalCondition"], ids=_ids("evalCondition"))
def test_eval_condition(case: list) -> None:
    _name, condition, attributes, expected, *rest = case
    groups = rest[0] if rest else None
    assert eval_condition(attributes, condition, groups) is expected


@pytest.mark.parametrize("case", CASES["hash"], ids=[f"{c[0]!r}+{c[1]!r} v{c[2]}" for c in CASES["hash"]])
def test_hash(case: list) -> None:
    seed, value, version, expected = case
    got = bucketing.gb_hash(seed, value, version)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("case", CASES["getBucketRange"], ids=_ids("getBucketRange"))
def test_bucket_ranges(case: list) -> None:
    _name, (count, coverage, weights), expected = case
    got = bucketing.bucket_ranges(count, coverage, weights)
    assert [list(r) for r in got] == [pytest.approx(r, abs=1e-6) for r in expected]


@pytest.mark.parametrize("case", CASES["chooseVariation"], ids=_ids("chooseVariation"))
def test_choose_variation(case: list) -> None:
    _name, bucket, ranges, expected = case
    assert bucketing.choose_variation(bucket, [tuple(r) for r in ranges]) == expected


@pytest.mark.parametrize("case", CASES["getEqualWeights"], ids=[str(c[0]) for c in CASES["getEqualWeights"]])
def test_equal_weights(case: list) -> None:
    count, expected = case
    assert [round(w, 8) for w in bucketing.equal_weights(count)] == expected


@pytest.mark.parametrize("case", CASES["inNamespace"], ids=_ids("inNamespace"))
def test_in_namespace(case: list) -> None:
    _name, user_id, (namespace, start, end), expected = case
    assert bucketing.in_namespace(user_id, (namespace, start, end)) is expected
