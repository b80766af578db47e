"""Adaptive rules at the edge, in plain Python: contexts, the holdout, the policy's weights,
stickiness per context, and what a request records (run in every Pyodide too)."""

import textwrap
from pathlib import Path

import pytest

from swerve.build import compiled_from_sources
from swerve_edge import cookie
from swerve_edge.adaptive import MAX_CONTEXTS
from swerve_edge.config import Config, load_config
from swerve_edge.decide import ADAPT, ADAPT_STICKY, decide
from swerve_edge.digest import content_hash
from swerve_edge.http import ANONYMOUS_COOKIE, SUMMARY_COOKIE
from swerve_edge.outcomes import Count
from swerve_edge.plan import Facts, Plan, plan_request
from swerve_edge.ruleset import Ruleset, RulesetError, load_ruleset
from swerve_edge.summary import Summary

NOW = 1_800_000_000
RULES = """
events:
  pricing_view: { path: ^/pricing }
  signup: { path: ^/signup/done }
flags:
  offer:
    owner: o
    expires: 2030-01-01
    variants:
      standard: { value: s }
      trial: { value: t }
      tap: { value: p }
    default: standard
    rules:
      - when: { request.query.force: standard }
        variant: standard
      - adapt:
          arms: [standard, trial, tap]
          goal: signup
          features:
            behavior.events.pricing_view: [1, 3]
            behavior.sessions: [2]
            request.device: [mobile, tablet]
          holdout: 10
          floor: 5
          min_units: 100
"""
KEYS = "adapt-test-key"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
MOBILE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1"


def compile_text(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text))
    return compiled_from_sources([str(path)])


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return compile_text(tmp_path_factory.mktemp("adapt"), RULES)


def with_policy(document: dict, contexts: dict[str, list[float]], **changes: object) -> Ruleset:
    """The document with a learned policy for the offer's adaptive rule (rule index 1) in its state."""
    adapt = document["flags"][0]["rules"][1]["adapt"]
    policy = {"arms": adapt["arms"], "features": adapt["features"], "goal": adapt["goal"], "contexts": contexts}
    policy.update(changes)
    body = {k: v for k, v in document.items() if k != "hash"}
    body["state"] = {"flags": {"offer": {"rules": {"1": {"policy": policy}}}}}
    return load_ruleset({**body, "hash": content_hash(body)})


def attributes(visitor: str, device: str = "desktop", **behavior: object) -> dict:
    return {
        "request": {"path": "/", "device": device, "bot": device == "bot", "query": {}},
        "user": {"anonymous_id": visitor},
        "behavior": behavior,
    }


def offer(ruleset: Ruleset, attrs: dict, exposures: dict | None = None, contexts: dict | None = None):
    (decision,) = decide(ruleset, attrs, NOW, exposures, contexts=contexts)
    return decision


def test_the_compiled_block_keeps_features_in_declared_order(document: dict) -> None:
    rule = document["flags"][0]["rules"][1]
    assert rule["adapt"] == {
        "arms": ["standard", "trial", "tap"],
        "goal": "signup",
        "features": [
            {"attribute": "behavior.events.pricing_view", "edges": [1, 3]},
            {"attribute": "behavior.sessions", "edges": [2]},
            {"attribute": "request.device", "values": ["mobile", "tablet"]},
        ],
        "holdout": 10,
        "floor": 5,
        "min_units": 100,
        "cadence": 3600,
        "top_two": False,
    }
    assert document["flags"][0]["goals"] == ["signup"]  # the adaptive goal is counted


@pytest.mark.parametrize(
    ("behavior", "device", "key"),
    [
        ({}, "desktop", "0.0.2"),
        ({"sessions": 1, "events": {"pricing_view": 0}}, "mobile", "0.0.0"),
        ({"sessions": 2, "events": {"pricing_view": 1}}, "tablet", "1.1.1"),
        ({"sessions": 3, "events": {"pricing_view": 2}}, "desktop", "1.1.2"),
        ({"sessions": 9, "events": {"pricing_view": 3}}, "desktop", "2.1.2"),
        ({"sessions": "9", "events": {"pricing_view": True}}, "desktop", "0.0.2"),  # not numbers: bucket 0
    ],
)
def test_the_context_key_is_one_bucket_per_feature(document: dict, behavior: dict, device: str, key: str) -> None:
    ruleset = load_ruleset(document)
    events = behavior.pop("events", None)
    attrs = attributes("visitor-1", device, **behavior, **({"events": events} if events is not None else {}))
    decision = offer(ruleset, attrs)
    assert decision.reason == ADAPT and decision.context.removeprefix("holdout:") == key


def shares(ruleset: Ruleset, visitors: int, **behavior: object) -> tuple[dict[str, float], dict[str, float]]:
    """Arm shares among the policy's visitors and among the holdout's, and the holdout's share."""
    counts: dict[bool, dict[str, int]] = {False: {}, True: {}}
    for n in range(visitors):
        d = offer(ruleset, attributes(f"visitor-{n}", **behavior))
        holdout = d.context.startswith("holdout:")
        counts[holdout][d.variant] = counts[holdout].get(d.variant, 0) + 1
    out = []
    for group in (False, True):
        total = sum(counts[group].values())
        out.append({arm: counts[group].get(arm, 0) / total for arm in ("standard", "trial", "tap")})
    holdout_share = sum(counts[True].values()) / visitors
    assert 0.08 < holdout_share < 0.12
    return out[0], out[1]


def test_without_a_policy_every_arm_gets_an_equal_share(document: dict) -> None:
    policy, holdout = shares(load_ruleset(document), 6000, sessions=3)
    assert all(0.29 < share < 0.38 for share in (*policy.values(), *holdout.values())), (policy, holdout)


def test_the_policy_applies_by_nearest_ancestor_and_the_holdout_stays_uniform(document: dict) -> None:
    ruleset = with_policy(document, {"2.*.*": [5, 90, 5], "*.*.*": [80, 10, 10]})
    policy, holdout = shares(ruleset, 6000, sessions=3, events={"pricing_view": 4})  # context 2.1.2
    assert 0.86 < policy["trial"] < 0.94 and 0.02 < policy["tap"] < 0.08, policy
    assert all(0.25 < share < 0.42 for share in holdout.values()), holdout
    everyone_else, _ = shares(ruleset, 6000, sessions=1)  # 0.0.2: only the global entry applies
    assert 0.76 < everyone_else["standard"] < 0.84, everyone_else
    rule = ruleset.by_key["offer"].rules[1].adapt
    assert rule.sources[rule.index["2.1.2"]] == "2.*.*" and rule.sources[rule.index["0.0.2"]] == "*.*.*"


@pytest.mark.parametrize("stale", [{"arms": ["standard", "trial"]}, {"features": []}, {"goal": "pricing_view"}])
def test_a_policy_learned_for_other_arms_features_or_goal_is_ignored(document: dict, stale: dict) -> None:
    ruleset = with_policy(document, {"*.*.*": [2, 96, 2]}, **stale)
    policy, _ = shares(ruleset, 3000, sessions=1)
    assert policy["trial"] < 0.45, policy


def test_a_returning_visitor_keeps_the_arm_in_the_same_context_only(document: dict) -> None:
    ruleset = with_policy(document, {"*.*.*": [2, 96, 2]})
    attrs = attributes("visitor-7", sessions=3, events={"pricing_view": 4})
    first = offer(load_ruleset(document), attrs)
    same = offer(ruleset, attrs, {"offer": "tap"}, {"offer": first.context})
    assert (same.variant, same.reason, same.context) == ("tap", ADAPT_STICKY, first.context)
    moved = offer(ruleset, attrs, {"offer": "tap"}, {"offer": "0.0.2"})  # seen in another context
    assert moved.reason == ADAPT and moved.context == first.context
    unknown = offer(ruleset, attrs, {"offer": "retired-arm"}, {"offer": first.context})
    assert unknown.reason == ADAPT


def test_without_a_rollout_key_the_rule_falls_through_and_bots_skip_it(document: dict) -> None:
    ruleset = load_ruleset(document)
    anonymous = attributes("")
    assert offer(ruleset, anonymous).reason == "default"
    assert offer(ruleset, attributes("visitor-1", device="bot")).reason == "default"
    forced = attributes("visitor-1")
    forced["request"]["query"] = {"force": "standard"}
    assert offer(ruleset, forced).reason == "rule"  # an earlier rule still wins


def test_a_document_with_too_many_contexts_is_refused_at_load(document: dict) -> None:
    body = {k: v for k, v in document.items() if k != "hash"}
    flag = {**body["flags"][0], "rules": [{"adapt": dict(body["flags"][0]["rules"][1]["adapt"])}]}
    flag["rules"][0]["adapt"]["features"] = [
        {"attribute": "request.hour", "edges": list(range(1, 8))},
        {"attribute": "request.weekday", "edges": list(range(1, 8))},
    ]
    assert MAX_CONTEXTS == 8 * 8
    load_ruleset({**body, "flags": [flag]})
    flag["rules"][0]["adapt"]["features"][0]["edges"].append(9)
    with pytest.raises(RulesetError, match="more than 64 contexts"):
        load_ruleset({**body, "flags": [flag]})


# ---- what one request records (plan_request with real cookies) ----


def config() -> Config:
    values = {"SWERVE_COOKIE_KEYS": KEYS}
    return load_config(lambda name: values.get(name, ""))


def request(ruleset: Ruleset, path: str, cookies: dict[str, str], user_agent: str = DESKTOP, now: int = NOW) -> Plan:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    facts = Facts(f"https://shop.test{path}", "GET", {"user-agent": user_agent, "cookie": header}, {}, 10, 3, now)
    plan = plan_request(ruleset, config(), facts, lambda: "a" * 32)
    for set_cookie in plan.set_cookies:
        name, _, rest = set_cookie.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    return plan


def summary(cookies: dict[str, str]) -> Summary:
    decoded = cookie.decode(cookies[SUMMARY_COOKIE], cookie.parse_keys(KEYS))
    assert decoded is not None
    return decoded


def test_exposures_and_conversions_are_recorded_under_the_exposure_context(document: dict) -> None:
    ruleset = load_ruleset(document)
    cookies: dict[str, str] = {}
    first = request(ruleset, "/", cookies)
    arm = summary(cookies).exposures["offer"]
    context = summary(cookies).contexts["offer"]
    assert context.removeprefix("holdout:") == "0.0.2"
    assert first.counts == [Count("offer", arm, context, "exposure")]
    assert first.exposed == [("offer", arm, context)]
    again = request(ruleset, "/", cookies)
    assert again.counts == [] and again.exposed == [("offer", arm, context)]
    goal = request(ruleset, "/signup/done", cookies)
    assert Count("offer", arm, context, "conversion:signup") in goal.counts


def test_a_visitor_whose_context_changes_is_a_new_unit_there(document: dict) -> None:
    ruleset = load_ruleset(document)
    cookies: dict[str, str] = {}
    request(ruleset, "/", cookies)
    before = summary(cookies).contexts["offer"]
    plan = request(ruleset, "/pricing", cookies)  # pricing_view 1: bucket 1 of the first feature
    after = summary(cookies)
    assert after.contexts["offer"] != before and after.contexts["offer"].removeprefix("holdout:") == "1.0.2"
    assert plan.counts == [Count("offer", after.exposures["offer"], after.contexts["offer"], "exposure")]


def test_the_exposure_context_is_signed_and_trimmed_with_its_exposure() -> None:
    keys = cookie.parse_keys(KEYS)
    visitor = Summary(1, 2, 1, 1, 1, {}, {"offer": "trial"}, {}, {"offer": "holdout:2.1.0"})
    assert cookie.decode(cookie.encode(visitor, keys), keys) == visitor
    crowded = Summary(1, 2, 1, 1, 1, {}, {}, {}, {})
    crowded.exposures["offer"] = "trial"
    crowded.contexts["offer"] = "2.1.0"
    for n in range(60):
        crowded.exposures[f"flag-with-a-long-name-{n}"] = "variant-name"
    encoded = cookie.encode(crowded, keys)
    kept = cookie.decode(encoded, keys)
    assert kept is not None and len(encoded) <= cookie.MAX_ENCODED
    assert "offer" not in kept.exposures and "offer" not in kept.contexts  # the oldest exposure went first
    assert set(kept.contexts) <= set(kept.exposures)


def test_a_context_for_a_flag_without_exposure_makes_the_cookie_untrusted() -> None:
    keys = cookie.parse_keys(KEYS)
    forged = cookie.encode(Summary(1, 2, 1, 1, 1, {}, {"offer": "trial"}, {}, {"offer": "1.0"}), keys)
    payload = forged.split(".")[1]
    body = cookie._unb64(payload).replace(b'"k":{"offer"', b'"k":{"other"')
    value = f"s1.{cookie._b64(body)}"
    value = f"{value}.{cookie._sign(keys[0], value)}"
    assert cookie.decode(value, keys) is None


def test_a_forged_summary_cannot_choose_the_arm_or_count(document: dict) -> None:
    ruleset = with_policy(document, {"*.*.*": [10, 10, 80]})
    honest: dict[str, str] = {ANONYMOUS_COOKIE: "b" * 32}
    request(ruleset, "/", honest)
    arm = summary(honest).exposures["offer"]
    wanted = next(a for a in ("standard", "trial", "tap") if a != arm)
    context = summary(honest).contexts["offer"]
    claim = cookie.encode(Summary(1, 2, 1, 1, 1, {}, {"offer": wanted}, {}, {"offer": context}), [b"not-the-key"])
    forged = {ANONYMOUS_COOKIE: "b" * 32, SUMMARY_COOKIE: claim}
    plan = request(ruleset, "/", forged)
    assert summary(forged).exposures["offer"] == arm and plan.counts == [] and plan.exposed == []


def test_sticky_false_decides_again_every_time(tmp_path: Path) -> None:
    ruleset = load_ruleset(
        compile_text(tmp_path, RULES.replace("    default: standard\n", "    default: standard\n    sticky: false\n"))
    )
    attrs = attributes("visitor-7", sessions=3, events={"pricing_view": 4})
    first = offer(ruleset, attrs)
    other = next(a for a in ("standard", "trial", "tap") if a != first.variant)
    again = offer(ruleset, attrs, {"offer": other}, {"offer": first.context})
    assert (again.variant, again.reason) == (first.variant, ADAPT)


def test_context_keys_in_words_and_keys_that_do_not_fit(document: dict) -> None:
    rule = load_ruleset(document).by_key["offer"].rules[1].adapt
    words = "behavior.events.pricing_view: 3 or more, behavior.sessions: below 2, request.device: 'tablet'"
    assert rule.context_words("2.0.1") == words
    assert rule.context_words("2.*.2") == "behavior.events.pricing_view: 3 or more, request.device: other"
    assert rule.context_words("*.*.*") == "everyone"
    # Keys come from D1 rows (anyone with the database can write them): wrong ones name nothing.
    for key in ("", "2.0", "2.0.1.0", "3.0.0", "a.0.0", "-1.0.0", "2.0.1 ", "².0.0", "9" * 5000 + ".0.0"):
        assert rule.context_words(key) == "", key
