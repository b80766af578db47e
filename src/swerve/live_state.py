"""The live ``state`` of a published ruleset: what changed without editing a rule file.

``swerve kill``/``unkill``/``set`` (people), ``swerve advance`` (ramps, guardrail stops)
and ``swerve learn`` (adaptive weights) publish a new version whose document differs from
the last one only in ``state``; the edge applies it when it loads the version (see
``swerve_edge.weights``). A push from rule files carries the live state forward, so an
unrelated edit never silently undoes a kill switch, a ramp or a guardrail stop; each
carried entry is reported, and entries that no longer fit the rules are dropped and
reported too.

Layout::

    {"flags": {FLAG: {"killed": true,
                      "rules": {"<rule index>": {"weights": {VARIANT: percent},
                                                 "ramp_step": N, "ramp": {...},
                                                 "ramp_since": ISO, "ramp_base": {VARIANT: units},
                                                 "stopped": {VARIANT: {"reason": ..., "at": ...}},
                                                 "policy": {"arms": [...], "features": [...], "goal": ...,
                                                            "contexts": {KEY: [percent per arm]},
                                                            "units": {KEY: units}, "updated": ISO,
                                                            "seed": ...}}}}}}
"""

import copy
from typing import Any

from swerve_edge.adaptive import policy_applies
from swerve_edge.digest import content_hash


def rehashed(document: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with ``state`` (empty parts pruned) and a new content hash."""
    body = {k: v for k, v in document.items() if k not in ("hash", "state")}
    pruned = _pruned(state)
    if pruned:
        body["state"] = pruned
    return {"format": body["format"], "hash": content_hash(body), **body}


def _pruned(value: Any) -> Any:
    """``value`` without empty parts, its keys sorted: the same state gives the same hash, whatever the edit order."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in sorted(value.items())}
        # Identity for None/False: a weight or ramp step of 0 (== False) is kept.
        return {k: v for k, v in kept.items() if v is not None and v is not False and v != {}}
    return value


def state_of(document: dict[str, Any] | None) -> dict[str, Any]:
    """A deep copy of a document's state (empty when it has none)."""
    return copy.deepcopy((document or {}).get("state") or {})


def flag_state(state: dict[str, Any], flag: str) -> dict[str, Any]:
    """The mutable state of one flag inside ``state`` (created when missing)."""
    return state.setdefault("flags", {}).setdefault(flag, {})


def rule_state(state: dict[str, Any], flag: str, rule: int) -> dict[str, Any]:
    """The mutable state of one rule of one flag (created when missing)."""
    return flag_state(state, flag).setdefault("rules", {}).setdefault(str(rule), {})


def _flags(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in document.get("flags", [])}


def _rule(flag: dict[str, Any], index: str) -> dict[str, Any]:
    rules = flag.get("rules", [])
    position = int(index) if index.isdigit() else -1
    if not 0 <= position < len(rules):
        return {}
    return rules[position]


def carry_forward(new: dict[str, Any], live: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """``new`` with the live document's state where it still applies, and a note per entry."""
    old_state = state_of(live)
    notes: list[str] = []
    state: dict[str, Any] = {}
    new_flags = _flags(new)
    for key, old in sorted(old_state.get("flags", {}).items()):
        flag = new_flags.get(key)
        if flag is None:
            notes.append(f"{key}: the flag is gone, so its live state is dropped")
            continue
        if old.get("killed"):
            flag_state(state, key)["killed"] = True
            notes.append(f"{key}: stays killed (swerve kill); `swerve unkill {key}` ends it")
        for index, entry in sorted(old.get("rules", {}).items()):
            _carry_rule(state, notes, key, index, entry, _rule(flag, index))
    return rehashed(new, state), notes


def _carry_rule(
    state: dict[str, Any], notes: list[str], key: str, index: str, entry: dict[str, Any], rule: dict[str, Any]
) -> None:
    where = f"{key} rule {int(index) + 1}" if index.isdigit() else f"{key} rule {index}"
    if "policy" in entry:
        if rule.get("adapt") is not None and policy_applies(rule["adapt"], entry["policy"]):
            rule_state(state, key, int(index))["policy"] = entry["policy"]
            notes.append(f"{where}: keeps its learned weights")
        else:
            notes.append(f"{where}: the adaptive rule's arms, features or goal changed: it starts from an equal split")
    rollout = rule.get("rollout")
    if rollout is None:
        if set(entry) - {"policy"}:
            notes.append(f"{where}: no longer a rollout, so its live weights are dropped")
        return
    variants = set(rollout["variants"])
    target = rule_state(state, key, int(index))
    weights = entry.get("weights")
    if weights is not None:
        if set(weights) <= variants:
            target["weights"] = weights
            split = ", ".join(f"{v}={w:g}" for v, w in weights.items())
            notes.append(f"{where}: keeps the weights set with `swerve set` ({split}); `swerve set {key} --clear`")
        else:
            notes.append(f"{where}: the variants changed, so the weights set with `swerve set` are dropped")
    if "ramp_step" in entry:
        ramp = rollout.get("ramp")
        if ramp is not None and entry.get("ramp") == ramp:
            target["ramp_step"] = entry["ramp_step"]
            target["ramp"] = ramp
            target["ramp_since"] = entry.get("ramp_since")
            target["ramp_base"] = entry.get("ramp_base")
            notes.append(f"{where}: the ramp stays at step {entry['ramp_step'] + 1} of {len(ramp['steps'])}")
        else:
            notes.append(f"{where}: the ramp changed, so it starts again at its first step")
    for variant, why in sorted(entry.get("stopped", {}).items()):
        if variant in variants:
            target.setdefault("stopped", {})[variant] = why
            notes.append(f"{where}: {variant} stays stopped at 0% ({why.get('reason', 'guardrail')})")
