"""Decision semantics of the edge evaluator, on small rule sets compiled by the real compiler."""

import datetime
import textwrap
from pathlib import Path

import pytest

from swerve.build import compiled_from_sources
from swerve_edge.decide import decide
from swerve_edge.ruleset import Ruleset, RulesetError, load_ruleset

NOW = datetime.datetime(2026, 12, 15, tzinfo=datetime.UTC).timestamp()


@pytest.fixture
def compile_yaml(tmp_path: Path):
    def build(text: str) -> Ruleset:
        path = tmp_path / "rules.yaml"
        path.write_text(textwrap.dedent(text))
        return load_ruleset(compiled_from_sources([str(path)]))

    return build


def attrs(path: str = "/", bot: bool = False, **sections: dict) -> dict:
    request = {"path": path, "bot": bot, "device": "bot" if bot else "desktop", **sections.pop("request", {})}
    return {
        "request": request,
        "user": {"anonymous_id": "anon-1", **sections.pop("user", {})},
        "behavior": sections.pop("behavior", {}),
    }


def by_flag(ruleset: Ruleset, attributes: dict, **kwargs) -> dict:
    return {d.flag: d for d in decide(ruleset, attributes, kwargs.pop("now", NOW), **kwargs)}


FLAG = """
flags:
  f:
    owner: o
    expires: 2030-01-01
    variants: { a: {value: 1}, b: {value: 2}, c: {value: 3} }
    default: a
"""


def test_kill_switch_wins_over_everything(compile_yaml) -> None:
    ruleset = compile_yaml(FLAG + "    kill_switch: true\n    rules: [{ variant: b }]\n")
    d = by_flag(ruleset, attrs())["f"]
    assert (d.variant, d.value, d.reason) == ("a", 1, "killed")


@pytest.mark.parametrize(("day", "expected"), [(1, ("a", "schedule")), (15, ("b", "rule")), (31, ("a", "schedule"))])
def test_schedule(compile_yaml, day: int, expected: tuple) -> None:
    ruleset = compile_yaml(
        FLAG + "    schedule: { start: 2026-12-10T00:00:00Z, end: 2026-12-20T00:00:00Z }\n    rules: [{ variant: b }]\n"
    )
    now = datetime.datetime(2026, 12, day, tzinfo=datetime.UTC).timestamp()
    d = by_flag(ruleset, attrs(), now=now)["f"]
    assert (d.variant, d.reason) == expected


def test_rules_in_order_with_segments(compile_yaml) -> None:
    ruleset = compile_yaml(
        FLAG
        + """
    rules:
      - segments: [loyal]
        when: { request.country: DE }
        variant: c
      - when: { request.country: { $in: [DE, FR] } }
        variant: b
segments:
  returning: { when: { behavior.sessions: { $gte: 2 } } }
  loyal: { segments: [returning], when: { behavior.pageviews: { $gt: 10 } } }
"""
    )
    assert (
        by_flag(ruleset, attrs(request={"country": "DE"}, behavior={"sessions": 3, "pageviews": 11}))["f"].variant
        == "c"
    )
    assert (
        by_flag(ruleset, attrs(request={"country": "DE"}, behavior={"sessions": 1, "pageviews": 11}))["f"].variant
        == "b"
    )
    d = by_flag(ruleset, attrs(request={"country": "US"}))["f"]
    assert (d.variant, d.reason) == ("a", "default")


def test_prerequisites_and_scope(compile_yaml) -> None:
    ruleset = compile_yaml(
        FLAG
        + """
    paths: ["/home*"]
    rules: [{ when: { request.country: DE }, variant: b }]
  g:
    owner: o
    expires: 2030-01-01
    variants: { off: {}, on: {} }
    default: "off"
    prerequisites: [{ flag: f, variants: [b] }]
    rules: [{ variant: "on" }]
""".replace("off: {}, on: {}", '"off": {}, "on": {}')
    )
    # f is out of scope on /other but still decided for g's prerequisite.
    out = by_flag(ruleset, attrs("/other", request={"country": "DE"}))
    assert set(out) == {"g"} and out["g"].variant == "on"
    out = by_flag(ruleset, attrs("/home/x", request={"country": "US"}))
    assert out["f"].variant == "a" and (out["g"].variant, out["g"].reason) == ("off", "prerequisite")


def test_rollout_coverage_falls_through_and_missing_key(compile_yaml) -> None:
    ruleset = compile_yaml(
        FLAG + "    rules:\n      - rollout: { weights: { b: 50, c: 50 }, coverage: 0 }\n      - variant: b\n"
    )
    d = by_flag(ruleset, attrs())["f"]
    assert (d.variant, d.reason, d.rule) == ("b", "rule", 2)
    ruleset = compile_yaml(
        FLAG + "    rollout_key: user.id\n    rules:\n      - rollout: { weights: { b: 50, c: 50 } }\n"
    )
    assert by_flag(ruleset, attrs())["f"].reason == "default"


def test_sticky_rollout_keeps_variant_until_its_weight_is_zero(compile_yaml) -> None:
    ruleset = compile_yaml(FLAG + "    rules:\n      - rollout: { weights: { b: 50, c: 50 } }\n")
    fresh = by_flag(ruleset, attrs())["f"]
    other = "c" if fresh.variant == "b" else "b"
    kept = by_flag(ruleset, attrs(), exposures={"f": other})["f"]
    assert (kept.variant, kept.reason) == (other, "sticky")
    ended = compile_yaml(FLAG + f"    rules:\n      - rollout: {{ weights: {{ {fresh.variant}: 100, {other}: 0 }} }}\n")
    assert by_flag(ended, attrs(), exposures={"f": other})["f"].variant == fresh.variant
    not_sticky = compile_yaml(FLAG + "    sticky: false\n    rules:\n      - rollout: { weights: { b: 50, c: 50 } }\n")
    assert by_flag(not_sticky, attrs(), exposures={"f": other})["f"].variant == fresh.variant


def test_bots_get_defaults_unless_a_rule_targets_them(compile_yaml) -> None:
    ruleset = compile_yaml(
        FLAG + "    rules:\n      - when: { request.bot: true }\n        variant: c\n      - variant: b\n"
    )
    assert by_flag(ruleset, attrs(bot=True))["f"].variant == "c"
    assert by_flag(ruleset, attrs())["f"].variant == "b"
    plain = compile_yaml(FLAG + "    rules: [{ variant: b }]\n")
    assert by_flag(plain, attrs(bot=True))["f"].reason == "default"


def test_a_failing_flag_gets_its_default_and_others_still_decide(compile_yaml) -> None:
    ruleset = compile_yaml(
        FLAG
        + "    rules: [{ variant: b }]\n"
        + "  g:\n    owner: o\n    expires: 2030-01-01\n    variants: { x: {} }\n    default: x\n"
    )

    def boom(_attributes: object) -> bool:
        raise RuntimeError("broken closure")

    ruleset.flags[0].rules[0].when = boom
    out = by_flag(ruleset, attrs())
    assert (out["f"].variant, out["f"].reason) == ("a", "error") and out["g"].variant == "x"


def test_trace_gives_the_reason_chain(compile_yaml) -> None:
    ruleset = compile_yaml(
        FLAG + "    rules:\n      - when: { request.country: DE }\n        variant: b\n      - variant: c\n"
    )
    trace: dict[str, list[str]] = {}
    decide(ruleset, attrs(request={"country": "US"}), NOW, trace=trace)
    assert trace["f"] == ["rule 1: condition not met", "rule 2: matched -> c"]


def test_load_rejects_other_documents() -> None:
    for document in ({}, {"format": 99}, {"format": 1}, {"format": 2, "flags": [{"key": "x"}]}, []):
        with pytest.raises(RulesetError):
            load_ruleset(document)
