"""The generated evaluator: rule content never becomes code, and it decides as specified.

Hostile documents (keys, strings, numbers and regexes written to break out of generated
source) are loaded and evaluated; the generated text is parsed and checked to contain no
value from the document at all: every constant is a small integer the generator counted,
every name one it made up. Random documents then check that loading either works or says
RulesetError, that evaluation never raises, and that the traced evaluator (``explain``)
decides exactly like the fast one, with and without a preview's forced variants.
"""

import ast
import builtins
import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import conditions, contexts, json_values

from swerve_edge import conditions as condition_module
from swerve_edge import evaluator
from swerve_edge.bucketing import gb_hash
from swerve_edge.codegen import Source
from swerve_edge.decide import decide
from swerve_edge.ruleset import FORMAT, RulesetError, load_ruleset

NOW = 1_800_000_000

PAYLOADS = [
    "\"); __import__('builtins').PWNED = 1  #",
    "'; __import__('builtins').PWNED = 1; '",
    "\\\n__import__('builtins').PWNED = 1\n",
    "{__import__('builtins').__setattr__('PWNED', 1)}",
    "\u2028__import__('builtins').PWNED=1",
    "x\x00y",
    "_k1",
    "A",
    "None",
]
hostile_text = st.sampled_from(PAYLOADS) | st.text(max_size=16)
hostile_numbers = (
    st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e308, -0.0])
)
hostile_scalars = st.none() | st.booleans() | hostile_numbers | hostile_text
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)
operators = st.sampled_from([*sorted(condition_module.VALUE_OPERATORS), "$bogus"])
hostile_conditions = st.recursive(
    st.dictionaries(
        hostile_text | st.sampled_from(["request.path", "user.id", "a.0.b", "behavior.events"]),
        hostile_values | st.dictionaries(operators, hostile_values | hostile_text, min_size=1, max_size=2),
        max_size=3,
    ),
    lambda inner: st.dictionaries(
        st.sampled_from(["$and", "$or", "$nor", "$not"]), st.lists(inner, max_size=3) | inner, max_size=2
    ),
    max_leaves=8,
)


@st.composite
def adapt_rules(draw, keys, variant_keys: list[str]) -> tuple[dict, dict]:
    """An ``adapt`` block (features, holdout, goal: any content) and a policy for the live state."""
    edges = st.lists(st.integers(-5, 50), min_size=1, max_size=3, unique=True).map(sorted) | st.lists(
        hostile_numbers, max_size=3
    )
    feature = st.fixed_dictionaries(
        {"attribute": st.sampled_from(["behavior.sessions", "request.device", "request.hour", "a.0"]) | keys},
        optional={"edges": edges, "values": st.lists(keys, max_size=3)},
    )
    adapt = {
        "arms": draw(st.lists(st.sampled_from(variant_keys), min_size=1, max_size=3, unique=True)),
        "features": draw(st.lists(feature, max_size=3)),
        "holdout": draw(st.integers(0, 100) | hostile_numbers),
        "goal": draw(keys),
    }
    contexts = st.dictionaries(
        st.sampled_from(["", "0", "1", "*", "0.1", "1.*", "*.*", "2.0.*"]) | keys,
        st.lists(hostile_numbers | st.integers(0, 100), max_size=3),
        max_size=4,
    )
    policy = {"arms": adapt["arms"], "features": adapt["features"], "goal": adapt["goal"], "contexts": draw(contexts)}
    return adapt, policy


@st.composite
def documents(draw, keys=hostile_text, values=hostile_values, when=hostile_conditions) -> dict:
    """A compiled (format 2) document with arbitrary content in every value position."""
    segment_names = draw(st.lists(keys, max_size=3, unique=True))
    segments = []
    for i, name in enumerate(segment_names):
        segment = {"name": name}
        if draw(st.booleans()):
            segment["when"] = draw(when)
        earlier = segment_names[:i]
        if earlier and draw(st.booleans()):
            segment["segments"] = draw(st.lists(st.sampled_from(earlier), max_size=2))
        segments.append(segment)
    flag_keys = draw(st.lists(keys, min_size=1, max_size=4, unique=True))
    flags = []
    state: dict = {}
    for i, key in enumerate(flag_keys):
        variant_keys = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
        flag = {
            "key": key,
            "variants": [{"key": v, "value": draw(values)} for v in variant_keys],
            "default": draw(st.sampled_from(variant_keys)),
            "rollout_key": draw(st.sampled_from(["user.anonymous_id", "user.id", "request.query.x", "a.0"]) | keys),
        }
        if draw(st.booleans()):
            flag["seed"] = draw(keys)
        if draw(st.integers(0, 5)) == 0:
            flag["killed"] = True
        if draw(st.booleans()):
            flag["schedule"] = {"start": draw(hostile_numbers), "end": draw(hostile_numbers)}
        if i and draw(st.booleans()):
            flag["prerequisites"] = [
                {"flag": draw(st.sampled_from(flag_keys[:i])), "variants": draw(st.lists(keys, max_size=2))}
            ]
        if draw(st.booleans()):
            flag["paths"] = draw(st.sampled_from(["^/a", "^/(b|c)$", ".*", "^/x\\?"]))
        if draw(st.booleans()):
            flag["sticky"] = False
        rules = []
        for index in range(draw(st.integers(0, 3))):
            rule = {}
            if draw(st.booleans()):
                rule["when"] = draw(when)
            if segment_names and draw(st.booleans()):
                rule["segments"] = draw(st.lists(st.sampled_from(segment_names), max_size=2))
            if draw(st.booleans()):
                rule["targets_bots"] = True
            kind = draw(st.sampled_from(["variant", "rollout", "adapt"]))
            if kind == "variant":
                rule["variant"] = draw(st.sampled_from(variant_keys))
            elif kind == "adapt":
                rule["adapt"], policy = draw(adapt_rules(keys, variant_keys))
                if draw(st.booleans()):
                    state.setdefault(key, {"rules": {}})["rules"][str(index)] = {"policy": policy}
            else:
                chosen = draw(st.lists(st.sampled_from(variant_keys), min_size=1, max_size=3, unique=True))
                weights = draw(st.lists(st.integers(0, 100), min_size=len(chosen), max_size=len(chosen)))
                rule["rollout"] = {"variants": chosen, "weights": weights, "coverage": draw(st.integers(0, 100))}
            rules.append(rule)
        flag["rules"] = rules
        flags.append(flag)
    return {"format": FORMAT, "flags": flags, "segments": segments, "events": [], "state": {"flags": state}}


ALLOWED_ATTRIBUTES = {"get", "append", "setdefault", "lower", "startswith"}
GENERATED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def assert_no_rule_content(source: Source) -> None:
    """The text is only generator fragments: small integer constants, made-up names."""
    tree = ast.parse(source.text())
    known = set(source.namespace) | set(source.namespace["__builtins__"])
    known |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    known |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
    known |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler | ast.FunctionDef) and n.name}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            assert node.value in (None, True, False) or (type(node.value) is int and 0 <= node.value <= 10**6), node
        elif isinstance(node, ast.JoinedStr | ast.Lambda | ast.Import | ast.ImportFrom | ast.Global | ast.ClassDef):
            raise AssertionError(f"unexpected {type(node).__name__} in generated code")
        elif isinstance(node, ast.Attribute):
            assert node.attr in ALLOWED_ATTRIBUTES, node.attr
        elif isinstance(node, ast.Name):
            assert GENERATED_NAME.fullmatch(node.id) and node.id in known, node.id
    builtins_ = source.namespace["__builtins__"]
    assert not {"__import__", "open", "eval", "exec", "getattr", "compile"} & set(builtins_)


def _try_load(document: dict):
    try:
        return load_ruleset(json.loads(json.dumps(document)))
    except RulesetError:
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.lists(contexts, min_size=1, max_size=3))
def test_hostile_documents_never_become_code(document: dict, visitors: list[dict]) -> None:
    ruleset = _try_load(document)
    if ruleset is None:
        return
    for traced in (False, True):
        for previewing in (False, True):
            source, _name = evaluator.generate(ruleset, traced, previewing)
            assert_no_rule_content(source)
    for attributes in visitors:
        trace: dict[str, list[str]] = {}
        assert decide(ruleset, attributes, NOW) == decide(ruleset, attributes, NOW, trace=trace)
    assert not hasattr(builtins, "PWNED")


@settings(max_examples=300, deadline=None)
@given(hostile_conditions)
def test_hostile_conditions_never_become_code(condition: dict) -> None:
    source = Source(condition_module.HELPERS)
    condition_module.ConditionWriter(source, {"g": ["x"]}).condition_function(condition)
    assert_no_rule_content(source)
    predicate = condition_module.compile_condition(condition)
    assert predicate({"request": {"path": "/a"}, "user": {"id": "x"}}) in (True, False)
    assert not hasattr(builtins, "PWNED")


ids = st.text(max_size=40) | st.uuids().map(str) | st.integers(0, 10**12).map(str)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(keys=st.text(min_size=1, max_size=8), values=json_values, when=conditions), st.data())
def test_random_documents_load_or_refuse_and_traced_decides_like_fast(document: dict, data) -> None:
    ruleset = _try_load(document)
    if ruleset is None:
        return
    for _ in range(3):
        attributes = data.draw(contexts)
        if data.draw(st.booleans()):
            attributes = {**attributes, "user": {"anonymous_id": data.draw(ids), "id": data.draw(ids)}}
        flag_keys = st.sampled_from([f["key"] for f in document["flags"]])
        exposures = data.draw(st.dictionaries(flag_keys, json_values))
        recorded = st.sampled_from(["0", "1.0", "holdout:0", "", "x"]) | json_values
        seen_in = data.draw(st.dictionaries(flag_keys, recorded))
        trace: dict[str, list[str]] = {}
        fast = decide(ruleset, attributes, NOW, exposures, contexts=seen_in)
        traced = decide(ruleset, attributes, NOW, exposures, trace, contexts=seen_in)
        assert fast == traced
        by_key = {f.key: f for f in ruleset.flags}
        for d in fast:
            assert d.variant in by_key[d.flag].variants
            assert d.reason != "error", (d, trace.get(d.flag))
            assert trace[d.flag], d
        if ruleset.flags:
            # A preview forces one flag's variant; the rest decide as they would, never by error.
            flag = data.draw(st.sampled_from(ruleset.flags))
            variant = data.draw(st.sampled_from(sorted(flag.variants)))
            previewed = decide(ruleset, attributes, NOW, exposures, forced={flag.key: variant})
            assert previewed == decide(ruleset, attributes, NOW, exposures, {}, forced={flag.key: variant})
            for d in previewed:
                assert (d.variant, d.reason) == (variant, "preview") if d.flag == flag.key else d.reason != "error"


@settings(max_examples=200, deadline=None)
@given(conditions, contexts)
def test_inlined_conditions_decide_like_standalone_predicates(condition: dict, context: dict) -> None:
    # The evaluator inlines conditions with shared reads and per-call caches; a standalone
    # predicate reads everything itself. Both come from the same writer and must agree.
    document = {
        "format": FORMAT,
        "flags": [
            {
                "key": "f",
                "variants": [{"key": "off"}, {"key": "on"}],
                "default": "off",
                "rules": [{"when": condition, "variant": "on", "targets_bots": True}] * 2,
            }
        ],
    }
    ruleset = load_ruleset(document)
    # An empty condition is no condition: the rule always applies.
    expected = condition_module.compile_condition(condition)(context) if condition else True
    assert (decide(ruleset, context, NOW)[0].variant == "on") is expected


def _nested(depth: int, inner: dict, wrap) -> dict:
    for _ in range(depth):
        inner = wrap(inner)
    return inner


@pytest.mark.parametrize("depth", [1, 11, 12, 13, 60])
def test_deeply_nested_conditions_compile_and_evaluate(depth: int) -> None:
    leaf = {"user.plan": "pro"}
    pro, free = {"user": {"plan": "pro"}}, {"user": {"plan": "free"}}
    nots = _nested(depth, leaf, lambda c: {"$not": c})
    assert condition_module.eval_condition(pro, nots) is (depth % 2 == 0)
    ands = _nested(depth, leaf, lambda c: {"$and": [c, {"$or": [leaf]}]})
    assert condition_module.eval_condition(pro, ands) is True
    assert condition_module.eval_condition(free, ands) is False
    values = _nested(depth, {"$eq": "pro"}, lambda c: {"$not": {"$not": c}})
    assert condition_module.eval_condition(pro, {"user.plan": values}) is True
    items = _nested(depth, {"$eq": 1}, lambda c: {"$elemMatch": c})
    nested_list: object = 1
    for _ in range(depth):
        nested_list = [nested_list]
    assert condition_module.eval_condition({"x": nested_list}, {"x": items}) is True


def test_a_condition_nested_beyond_reason_is_refused_at_load() -> None:
    document = {
        "format": FORMAT,
        "flags": [{"key": "f", "variants": [{"key": "a"}], "default": "a", "rules": [{"variant": "a"}]}],
    }
    document["flags"][0]["rules"][0]["when"] = _nested(5000, {"x": 1}, lambda c: {"$not": c})
    with pytest.raises(RulesetError, match="RecursionError"):
        load_ruleset(document)


def test_every_rollout_bucket_matches_growthbook_hash_and_ranges() -> None:
    # Ranges with gaps (coverage) and empty shares take the two-sided comparisons.
    document = {
        "format": FORMAT,
        "flags": [
            {
                "key": "f",
                "seed": "s",
                "rollout_key": "user.id",
                "variants": [{"key": "a"}, {"key": "b"}, {"key": "c"}],
                "default": "a",
                "rules": [{"rollout": {"variants": ["a", "b", "c"], "weights": [30, 0, 70], "coverage": 50}}],
            }
        ],
    }
    ruleset = load_ruleset(document)
    for n in range(2000):
        user = f"visitor-{n}"
        bucket = gb_hash("s", user, 2)
        d = decide(ruleset, {"user": {"id": user}}, NOW)[0]
        if bucket < 0.15:
            assert (d.variant, d.reason, d.bucket) == ("a", "rollout", bucket)
        elif 0.3 <= bucket < 0.65:
            assert (d.variant, d.reason, d.bucket) == ("c", "rollout", bucket)
        else:
            assert (d.variant, d.reason) == ("a", "default")


def test_a_document_naming_a_missing_variant_is_refused_at_load() -> None:
    document = {
        "format": FORMAT,
        "flags": [{"key": "f", "variants": [{"key": "a"}], "default": "a", "rules": [{"variant": "zz"}]}],
    }
    with pytest.raises(RulesetError):
        load_ruleset(document)


def test_numbers_in_rules_keep_their_exact_value() -> None:
    # Numbers never go through repr() into the text: huge, negative zero and infinite values work.
    for threshold, value, expected in [(2**70, 2**70 + 1, True), (-0.0, 0, False), (math.inf, 1e308, False)]:
        predicate = condition_module.compile_condition({"x": {"$gt": threshold}})
        assert predicate({"x": value}) is expected
