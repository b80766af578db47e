"""Compiling a validated RuleSet into the document the edge reads.

The output is canonical: entities are sorted by name (flags in dependency order, ties
by name) and every object is built in a fixed field order, so the same rules give the
same bytes whatever the file layout. Condition objects keep their written key order,
because GrowthBook's object equality compares serialized JSON. Everything the edge
would otherwise compute per request is precomputed: path regexes, epoch schedules,
which rules apply to bots. Rollouts keep their weights as written (percent): the edge
turns them into bucket ranges after applying the document's live ``state``. Adaptive rules
compile to their arms, goal, features (a list, in declared order), holdout, floor, minimum
units, cadence (seconds) and top-two switch; their learned weights live in the state.
"""

import datetime
import fnmatch
from typing import Any

from swerve_edge.digest import content_hash
from swerve_edge.ruleset import FORMAT

from .adapt_check import adapt_goals, compile_adapt
from .condition_check import referenced_attributes
from .model import RuleSet
from .schema import ACTIONS, Flag, HtmlOp, Rule

# Reading either of these means a rule was written with bots in mind; other rules skip bots.
_BOT_ATTRIBUTES = frozenset({"request.bot", "request.device"})


def _epoch(moment: datetime.datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def compile_op(op: HtmlOp) -> list[Any]:
    """An operation as the edge reads it: ``[selector, action, *arguments]``."""
    for action in ACTIONS:
        arg = getattr(op, action)
        if arg in (None, False):
            continue
        if action == "set_attribute":
            ((name, value),) = arg.items()
            return [op.selector, action, name, value]
        if action == "remove":
            return [op.selector, action]
        return [op.selector, action, arg]
    raise ValueError(f"operation on {op.selector!r} has no action")


def _segment_attributes(rules: RuleSet, names: list[str], seen: set[str] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    found: set[str] = set()
    for name in names:
        if name in seen or name not in rules.segments:
            continue
        seen.add(name)
        segment = rules.segments[name].value
        found |= referenced_attributes(segment.when)
        found |= _segment_attributes(rules, segment.segments, seen)
    return found


def _rule(rules: RuleSet, flag: Flag, rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rule.when:
        out["when"] = rule.when
    if rule.segments:
        out["segments"] = list(rule.segments)
    if rule.variant is not None:
        out["variant"] = rule.variant
    if rule.rollout is not None:
        names = list(rule.rollout.weights)
        out["rollout"] = {
            "variants": names,
            "weights": [rule.rollout.weights[n] for n in names],
            "coverage": rule.rollout.coverage,
        }
        ramp = rule.rollout.ramp
        if ramp is not None:
            out["rollout"]["ramp"] = {
                "variant": ramp.variant,
                "steps": list(ramp.steps),
                "min_hours": ramp.min_hours,
                "min_units": ramp.min_units,
            }
    if rule.adapt is not None:
        out["adapt"] = compile_adapt(flag, rule.adapt)
    attributes = referenced_attributes(rule.when) | _segment_attributes(rules, rule.segments)
    if attributes & _BOT_ATTRIBUTES:
        out["targets_bots"] = True
    return out


def _paths_regex(patterns: list[str]) -> str | None:
    if not patterns:
        return None
    return "|".join(f"(?:{fnmatch.translate(p)})" for p in sorted(set(patterns)))


def _flag(rules: RuleSet, key: str, flag: Flag) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "variants": []}
    for name, variant in flag.variants.items():
        spec: dict[str, Any] = {"key": name, "value": variant.value}
        if variant.html:
            spec["ops"] = [compile_op(op) for op in variant.html]
        if variant.serve_path:
            spec["serve_path"] = variant.serve_path
        out["variants"].append(spec)
    out["default"] = flag.default
    if flag.kill_switch:
        out["killed"] = True
    if flag.schedule is not None:
        out["schedule"] = {"start": _epoch(flag.schedule.start), "end": _epoch(flag.schedule.end)}
    if flag.prerequisites:
        out["prerequisites"] = [{"flag": p.flag, "variants": sorted(p.variants)} for p in flag.prerequisites]
    paths = _paths_regex(flag.paths)
    if paths:
        out["paths"] = paths
    if flag.rules:
        out["rules"] = [_rule(rules, flag, r) for r in flag.rules]
    out["rollout_key"] = flag.rollout_key
    out["seed"] = flag.seed or key
    if flag.client:
        out["client"] = True
    if not flag.sticky:
        out["sticky"] = False
    goals = adapt_goals(flag)
    if goals:
        out["goals"] = goals
    out["control"] = flag.control or flag.default
    if flag.guardrails is not None:
        out["guardrails"] = {
            "max_error_rate": flag.guardrails.max_error_rate,
            "min_conversion_ratio": flag.guardrails.min_conversion_ratio,
            "min_units": flag.guardrails.min_units,
        }
    out["meta"] = {
        "description": flag.description,
        "owner": flag.owner,
        "expires": flag.expires.isoformat() if flag.expires else None,
        "max_exposure": flag.max_exposure,
        "paths": list(flag.paths),
    }
    return out


def _dependency_order(edges: dict[str, list[str]]) -> list[str]:
    """Names sorted so every name comes after what it depends on (ties by name)."""
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        done.add(name)
        for dep in sorted(edges.get(name, [])):
            if dep in edges:
                visit(dep)
        order.append(name)

    for name in sorted(edges):
        visit(name)
    return order


def compile_rules(rules: RuleSet) -> dict[str, Any]:
    """The compiled document, ``hash`` included (sha256 of the canonical body)."""
    flag_order = _dependency_order({k: [p.flag for p in rules.flag(k).prerequisites] for k in rules.flags})
    segment_order = _dependency_order({k: list(s.value.segments) for k, s in rules.segments.items()})
    segments = []
    for name in segment_order:
        segment = rules.segments[name].value
        spec: dict[str, Any] = {"name": name}
        if segment.when:
            spec["when"] = segment.when
        if segment.segments:
            spec["segments"] = list(segment.segments)
        segments.append(spec)
    events = []
    for name in sorted(rules.events):
        event = rules.events[name].value
        spec = {"name": name}
        if event.path:
            spec["path"] = event.path
        if event.query:
            spec["query"] = dict(sorted(event.query.items()))
        if event.referrer:
            spec["referrer"] = event.referrer
        if event.client:
            spec["client"] = True
        events.append(spec)
    body = {
        "format": FORMAT,
        "flags": [_flag(rules, k, rules.flag(k)) for k in flag_order],
        "segments": segments,
        "events": events,
    }
    return {"format": FORMAT, "hash": content_hash(body), **{k: v for k, v in body.items() if k != "format"}}
