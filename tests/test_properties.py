"""Properties of the evaluator and compiler, checked with hypothesis."""

import tempfile
from pathlib import Path

import yaml
from conftest import DEMO_RULES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swerve.compiler import compile_rules
from swerve.validate import validate
from swerve_edge.bucketing import SeedBatch, bucket_ranges, choose_variation, seed_state
from swerve_edge.conditions import compile_condition
from swerve_edge.decide import decide
from swerve_edge.digest import canonical_json
from swerve_edge.ruleset import load_ruleset

scalars = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=True) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
known_keys = st.sampled_from(
    [
        "path",
        "country",
        "device",
        "bot",
        "query",
        "sessions",
        "pageviews",
        "events",
        "id",
        "anonymous_id",
        "plan",
        "app_version",
        "hour",
    ]
)
sections = st.dictionaries(known_keys | st.text(max_size=6), json_values, max_size=8)
contexts = st.fixed_dictionaries(
    {}, optional={"request": sections | json_values, "user": sections | json_values, "behavior": sections | json_values}
)
operators = st.sampled_from(
    [
        "$eq",
        "$ne",
        "$gt",
        "$lte",
        "$in",
        "$nin",
        "$all",
        "$size",
        "$exists",
        "$type",
        "$regex",
        "$vgt",
        "$elemMatch",
        "$not",
        "$ini",
        "$bogus",
    ]
)
conditions = st.recursive(
    st.dictionaries(
        st.text(max_size=6), json_values | st.dictionaries(operators, json_values, min_size=1, max_size=2), max_size=3
    ),
    lambda inner: st.dictionaries(
        st.sampled_from(["$and", "$or", "$nor", "$not"]), st.lists(inner, max_size=3) | inner, max_size=2
    ),
    max_leaves=8,
)


def example_ruleset():
    rules, _ = validate([str(DEMO_RULES)])
    return load_ruleset(compile_rules(rules))


RULESET = example_ruleset()
NOW = 1_800_000_000


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(contexts, st.dictionaries(st.text(max_size=20), st.text(max_size=10) | json_values, max_size=3))
def test_arbitrary_contexts_never_raise_and_only_valid_variants(context: dict, exposures: dict) -> None:
    decisions = decide(RULESET, context, NOW, exposures)
    flags = {f.key: f for f in RULESET.flags}
    for d in decisions:
        assert d.variant in flags[d.flag].variants
        assert d.reason != "error", d


@settings(max_examples=400)
@given(conditions, contexts)
def test_arbitrary_conditions_never_raise(condition: dict, context: dict) -> None:
    assert compile_condition(condition)(context) in (True, False)


@settings(max_examples=200)
@given(contexts)
def test_same_context_same_decision(context: dict) -> None:
    assert decide(RULESET, context, NOW) == decide(RULESET, context, NOW)


@settings(max_examples=4, deadline=None)
@given(st.text(min_size=1, max_size=16), st.text(max_size=8))
def test_rollout_split_within_one_point_over_100k_ids(seed: str, prefix: str) -> None:
    weights = [0.1, 0.3, 0.6]
    ranges = bucket_ranges(3, 1, weights)
    hasher = SeedBatch([seed_state(seed)])
    counts = [0, 0, 0]
    n = 100_000
    for i in range(n):
        counts[choose_variation(hasher(f"{prefix}{i:x}-visitor")[0], ranges)] += 1
    for count, weight in zip(counts, weights, strict=True):
        assert abs(count / n - weight) <= 0.01, (counts, seed, prefix)


ENTRIES = [
    (section, name, entry)
    for file in sorted(DEMO_RULES.glob("*.yaml"))
    for section, entries in yaml.safe_load(file.read_text()).items()
    for name, entry in entries.items()
]
EXPECTED = canonical_json(compile_rules(validate([str(DEMO_RULES)])[0]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(ENTRIES), st.integers(1, 4), st.data())
def test_compile_is_deterministic_whatever_the_file_layout(tmp_path: Path, order: list, files: int, data) -> None:
    layout: list[dict] = [{} for _ in range(files)]
    for section, name, entry in order:
        target = layout[data.draw(st.integers(0, files - 1))]
        target.setdefault(section, {})[name] = entry
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    for i, content in enumerate(layout):
        (folder / f"part{i}.yaml").write_text(yaml.safe_dump(content, sort_keys=False))
    rules, findings = validate([str(folder)])
    assert not [f for f in findings if f.severity == "error"]
    assert canonical_json(compile_rules(rules)) == EXPECTED
