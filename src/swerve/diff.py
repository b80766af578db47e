"""``swerve diff``: what changes between two compiled rulesets, semantically.

Flags, segments and events added, removed and changed, field by field, the flags' live
state included (``state.*``: kill switches, weights, ramp steps, stops, and learned
policies context by context). For a flag whose targeting or live state changed, both
versions run over the same synthetic population (``simulate``) and the change in exposure
per variant is shown.
"""

import json
import time
from typing import Any

import msgspec

from swerve_edge.ruleset import load_ruleset

from .simulate import FlagExposure, simulate

# Fields that change who gets which variant (metadata changes do not).
_TARGETING = (
    "variants",
    "default",
    "killed",
    "schedule",
    "prerequisites",
    "paths",
    "rules",
    "rollout_key",
    "seed",
    "sticky",
)


class Change(msgspec.Struct, kw_only=True):
    """One entity's change: ``kind`` is added, removed or changed."""

    section: str
    name: str
    kind: str
    fields: dict[str, list[Any]] = {}
    exposure: dict[str, list[float]] = {}


def _entities(document: dict | None, section: str, key: str) -> dict[str, dict]:
    if not document:
        return {}
    return {entry[key]: entry for entry in document.get(section, [])}


def _flat(flag: dict) -> dict[str, Any]:
    """A flag as field path -> value, one entry per variant and per rule."""
    out = {k: v for k, v in flag.items() if k not in ("key", "meta", "variants", "rules")}
    for k, v in (flag.get("meta") or {}).items():
        out[k] = v
    for variant in flag.get("variants", []):
        out[f"variants.{variant['key']}"] = {k: v for k, v in variant.items() if k != "key"}
    for i, rule in enumerate(flag.get("rules", [])):
        out[f"rules[{i}]"] = rule
    out.setdefault("killed", False)
    out.setdefault("client", False)
    out.setdefault("sticky", True)
    return out


def _state_fields(document: dict | None, flag: str) -> dict[str, Any]:
    """A flag's live state as field path -> value; a learned policy one field per context."""
    entry = ((document or {}).get("state") or {}).get("flags", {}).get(flag, {})
    out: dict[str, Any] = {}
    if entry.get("killed"):
        out["state.killed"] = True
    for index, rule in sorted((entry.get("rules") or {}).items()):
        for name, value in sorted(rule.items()):
            if name == "policy" and isinstance(value, dict):
                for key, weights in sorted((value.get("contexts") or {}).items()):
                    out[f"state.rules[{index}].policy[{key}]"] = weights
                out[f"state.rules[{index}].policy.updated"] = value.get("updated")
            else:
                out[f"state.rules[{index}].{name}"] = value
    return out


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
    retargeted: list[str] = []
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
                a, b = _flat(a) | _state_fields(old, name), _flat(b) | _state_fields(new, name)
            fields = {f: [a.get(f), b.get(f)] for f in sorted(a.keys() | b.keys()) if a.get(f) != b.get(f)}
            if fields:
                changes.append(Change(section=section, name=name, kind="changed", fields=fields))
                targeting = (f in _TARGETING or f.startswith(("rules[", "state.")) for f in fields)
                if section == "flags" and any(targeting):
                    retargeted.append(name)
    segments_changed = any(c.section == "segments" for c in changes)
    if old and (retargeted or segments_changed):
        now = time.time() if now is None else now
        shares_before = {r.flag: r.shares for r in simulate(load_ruleset(old), old, visitors, seed, now)}
        after = new_exposures if new_exposures is not None else simulate(load_ruleset(new), new, visitors, seed, now)
        shares_after = {r.flag: r.shares for r in after}
        for change in changes:
            if change.section == "flags" and change.kind == "changed":
                a, b = shares_before.get(change.name, {}), shares_after.get(change.name, {})
                moved = {v: [round(a.get(v, 0.0), 1), round(b.get(v, 0.0), 1)] for v in sorted(a.keys() | b.keys())}
                if any(x != y for x, y in moved.values()):
                    change.exposure = moved
    return changes


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def render(changes: list[Change], label_old: str, label_new: str) -> str:
    """Text for people: + added, - removed, ~ changed, with fields and exposure moves."""
    if not changes:
        return f"no changes between {label_old} and {label_new}"
    lines = [f"--- {label_old}", f"+++ {label_new}"]
    for change in changes:
        sign = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
        lines.append(f"{sign} {change.section[:-1]} {change.name}")
        for field, (a, b) in change.fields.items():
            lines.append(f"    {field}: {_short(a)} -> {_short(b)}")
        for variant, (a, b) in change.exposure.items():
            lines.append(f"    exposure {variant}: {a:.1f}% -> {b:.1f}% (simulated)")
    return "\n".join(lines)
