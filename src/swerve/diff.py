"""``swerve diff``: what changes between two compiled rulesets, semantically.

Flags, segments and events added, removed and changed, field by field, in the terms
people write in rule files: a rollout shows as its weights per variant and its coverage,
each rule field on its own line. Live changes (``swerve kill``, ``swerve set``, ramp
steps, guardrail stops, learned policies context by context) show as ``live.*`` fields.
Both versions then run over the very same synthetic population (``simulate``), and every
flag whose exposure moves is shown with the change per variant: the flags that changed,
and the knock-on ones, whose own definition is the same but whose prerequisite or segment
changed.
"""

import json
import time
from typing import Any

import msgspec

from swerve_edge.ruleset import load_ruleset

from .simulate import FlagExposure, population_of, simulate

# Fields that cannot change who gets which variant: a change of only these simulates nothing.
_METADATA = frozenset({"description", "owner", "expires", "max_exposure", "goals", "guardrails", "client"})


class Change(msgspec.Struct, kw_only=True):
    """One entity's change: ``kind`` is added, removed or changed.

    ``knock_on`` says why a flag whose own fields are unchanged decides differently.
    """

    section: str
    name: str
    kind: str
    fields: dict[str, list[Any]] = {}
    exposure: dict[str, list[float]] = {}
    knock_on: list[str] = []


def _entities(document: dict | None, section: str, key: str) -> dict[str, dict]:
    if not document:
        return {}
    return {entry[key]: entry for entry in document.get(section, [])}


def _rule_fields(prefix: str, rule: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in ("when", "segments", "variant"):
        if field in rule:
            out[f"{prefix}.{field}"] = rule[field]
    rollout = rule.get("rollout")
    if rollout is not None:
        out[f"{prefix}.rollout.weights"] = dict(zip(rollout["variants"], rollout["weights"], strict=True))
        out[f"{prefix}.rollout.coverage"] = rollout.get("coverage", 100)
        if "ramp" in rollout:
            out[f"{prefix}.rollout.ramp"] = rollout["ramp"]
    for field, value in (rule.get("adapt") or {}).items():
        out[f"{prefix}.adapt.{field}"] = value
    return out


def _live_fields(state: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if state.get("killed"):
        out["live.killed"] = True
    for index, entry in sorted(state.get("rules", {}).items()):
        for field, value in sorted(entry.items()):
            if field == "policy" and isinstance(value, dict):
                # A learned policy (swerve learn): one line per context whose weights moved.
                for key, weights in sorted((value.get("contexts") or {}).items()):
                    out[f"live.rules[{index}].policy[{key}]"] = weights
                out[f"live.rules[{index}].policy.updated"] = value.get("updated")
            else:
                out[f"live.rules[{index}].{field}"] = value
    return out


def _flat(flag: dict, state: dict) -> dict[str, Any]:
    """A flag as field path -> value, in rule-file terms: one entry per variant and rule field."""
    skip = ("key", "meta", "variants", "rules")
    out = {k: v for k, v in flag.items() if k not in skip}
    for k, v in (flag.get("meta") or {}).items():
        out[k] = v
    for variant in flag.get("variants", []):
        out[f"variants.{variant['key']}"] = {k: v for k, v in variant.items() if k != "key"}
    for i, rule in enumerate(flag.get("rules", [])):
        out |= _rule_fields(f"rules[{i}]", rule)
    out.setdefault("killed", False)
    out.setdefault("client", False)
    out.setdefault("sticky", True)
    return out | _live_fields(state)


def _flag_states(document: dict | None) -> dict[str, dict]:
    return ((document or {}).get("state") or {}).get("flags", {})


def diff(
    old: dict | None,
    new: dict,
    visitors: int = 5000,
    seed: int = 1,
    now: float | None = None,
    new_exposures: list[FlagExposure] | None = None,
) -> list[Change]:
    """Changes from ``old`` (None: nothing published) to ``new``.

    ``new_exposures``: ``simulate(new)`` with the same visitors, seed and ``now`` when the
    caller already ran it (a push checking guardrails), so it is not run twice.
    """
    changes: list[Change] = []
    states = (_flag_states(old), _flag_states(new))
    for section, key in (("flags", "key"), ("segments", "name"), ("events", "name")):
        before = _entities(old, section, key)
        after = _entities(new, section, key)
        for name in sorted(after.keys() - before.keys()):
            changes.append(Change(section=section, name=name, kind="added"))
        for name in sorted(before.keys() - after.keys()):
            changes.append(Change(section=section, name=name, kind="removed"))
        for name in sorted(before.keys() & after.keys()):
            a, b = before[name], after[name]
            if section == "flags":
                a, b = _flat(a, states[0].get(name, {})), _flat(b, states[1].get(name, {}))
            fields = {f: [a.get(f), b.get(f)] for f in sorted(a.keys() | b.keys()) if a.get(f) != b.get(f)}
            if fields:
                changes.append(Change(section=section, name=name, kind="changed", fields=fields))
    retargeted = any(
        c.section == "segments" or (c.section == "flags" and c.kind == "changed" and set(c.fields) - _METADATA)
        for c in changes
    )
    if old and retargeted:
        _exposures(old, new, changes, visitors, seed, time.time() if now is None else now, new_exposures)
    return changes


def _exposures(
    old: dict,
    new: dict,
    changes: list[Change],
    visitors: int,
    seed: int,
    now: float,
    new_exposures: list[FlagExposure] | None,
) -> None:
    """Add simulated exposure moves, and a knock-on change for each flag moved only by another's change."""
    population = population_of([old, new])
    before = {r.flag: r.shares for r in simulate(load_ruleset(old), old, visitors, seed, now, population=population)}
    if new_exposures is None or population != population_of([new]):
        new_exposures = simulate(load_ruleset(new), new, visitors, seed, now, population=population)
    after = {r.flag: r.shares for r in new_exposures}
    by_flag = {c.name: c for c in changes if c.section == "flags"}
    segments = _affected_segments(new, {c.name for c in changes if c.section == "segments"})
    moved_flags: set[str] = set(by_flag)
    for flag in new.get("flags", []):  # dependency order: prerequisites come first
        name = flag["key"]
        if name not in before:
            continue
        a, b = before[name], after.get(name, {})
        order = [*b, *(v for v in a if v not in b)]  # the flag's variant order
        moved = {v: [round(a.get(v, 0.0), 1), round(b.get(v, 0.0), 1)] for v in order}
        if all(x == y for x, y in moved.values()):
            continue
        change = by_flag.get(name)
        if change is None:
            change = Change(section="flags", name=name, kind="changed", knock_on=_causes(flag, moved_flags, segments))
            changes.append(change)
            moved_flags.add(name)
        if change.kind == "changed":
            change.exposure = moved
    changes.sort(key=lambda c: (("flags", "segments", "events").index(c.section), c.name))


def _affected_segments(document: dict, changed: set[str]) -> set[str]:
    """The changed segments and every segment built on one of them."""
    affected = set(changed)
    for segment in document.get("segments", []):  # dependency order: what a segment builds on comes first
        if affected & set(segment.get("segments", [])):
            affected.add(segment["name"])
    return affected


def _causes(flag: dict, moved: set[str], segments: set[str]) -> list[str]:
    """Why a flag with unchanged fields decides differently: its prerequisites and segments that changed."""
    causes = [f"prerequisite {p['flag']} changed" for p in flag.get("prerequisites", []) if p["flag"] in moved]
    used = sorted({s for rule in flag.get("rules", []) for s in rule.get("segments", [])})
    causes += [f"segment {s} changed" for s in used if s in segments]
    return causes or ["its decisions moved"]


def _short(value: Any) -> str:
    if isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()):
        return "{ " + ", ".join(f"{k}: {v:g}" for k, v in value.items()) + " }"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def render(changes: list[Change], label_old: str, label_new: str) -> str:
    """Text for people: + added, - removed, ~ changed, with fields and exposure moves."""
    if not changes:
        return f"no changes between {label_old} and {label_new}"
    lines = [f"--- {label_old}", f"+++ {label_new}"]
    for change in changes:
        sign = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
        why = f"  (knock-on: {'; '.join(change.knock_on)})" if change.knock_on else ""
        lines.append(f"{sign} {change.section[:-1]} {change.name}{why}")
        for field, (a, b) in change.fields.items():
            lines.append(f"    {field}: {_short(a)} -> {_short(b)}")
        for variant, (a, b) in change.exposure.items():
            lines.append(f"    exposure {variant}: {a:.1f}% -> {b:.1f}% (simulated)")
    return "\n".join(lines)
