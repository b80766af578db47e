"""What is live, flag by flag: owner, expiry, kill switch and the weights the edge uses now.

Pure: reads a compiled document (with its live ``state``) and reports what the edge does
with it. Kill switches come from the loaded ruleset and weights from
``swerve_edge.weights.effective_weights``, the code the edge itself runs, so a kill, a
``swerve set`` override, a ramp step or a guardrail stop shows as it acts.
"""

import datetime
from typing import Any

import msgspec

from swerve_edge.ruleset import load_ruleset
from swerve_edge.weights import effective_weights


class RolloutStatus(msgspec.Struct, kw_only=True):
    """One rollout rule: its weights now (percent per variant), and where they come from."""

    rule: int
    weights: dict[str, float]
    written: dict[str, float]
    coverage: float
    source: str
    stopped: list[str] = []


class AdaptiveStatus(msgspec.Struct, kw_only=True):
    """One adaptive rule: its arms, holdout, and the policy it serves now (None: an equal split)."""

    rule: int
    arms: list[str]
    holdout: float
    learned: str | None
    contexts: int


class FlagStatus(msgspec.Struct, kw_only=True):
    """One flag as the edge runs it."""

    key: str
    owner: str | None
    expires: str | None
    expired: bool
    killed: str | None
    paths: list[str]
    rollouts: list[RolloutStatus]
    adaptive: list[AdaptiveStatus] = []


def _source(rule_state: dict[str, Any], rollout: dict[str, Any]) -> str:
    if "weights" in rule_state:
        return "swerve set"
    ramp = rollout.get("ramp")
    if ramp is not None:
        step = min(max(int(rule_state.get("ramp_step", 0)), 0), len(ramp["steps"]) - 1)
        return f"ramp step {step + 1} of {len(ramp['steps'])}"
    return "rules"


def flag_statuses(document: dict[str, Any], today: datetime.date) -> list[FlagStatus]:
    """Every flag of ``document``, sorted by key, as the edge runs it."""
    ruleset = load_ruleset(document)
    states = (document.get("state") or {}).get("flags", {})
    out = []
    for spec in sorted(document.get("flags", []), key=lambda f: f["key"]):
        key = spec["key"]
        meta = spec.get("meta") or {}
        state = states.get(key, {})
        killed = None
        if spec.get("killed"):
            killed = "kill_switch in rules"
        elif ruleset.by_key[key].killed:
            killed = "swerve kill"
        rollouts = []
        adaptive = []
        for index, rule in enumerate(spec.get("rules", [])):
            rule_state = state.get("rules", {}).get(str(index), {})
            live = ruleset.by_key[key].rules[index].adapt if index < len(ruleset.by_key[key].rules) else None
            if live is not None:
                # The edge's own reading of the rule: a policy learned for other arms or features is none.
                policy = rule_state.get("policy") if live.learned else None
                # Live state is KV content: a damaged entry shows as what the edge makes of it.
                contexts = policy.get("contexts") if isinstance(policy, dict) else None
                adaptive.append(
                    AdaptiveStatus(
                        rule=index + 1,
                        arms=list(live.arms),
                        holdout=live.holdout,
                        learned=str(policy.get("updated")) if isinstance(policy, dict) else None,
                        contexts=len(contexts) if isinstance(contexts, dict) else 0,
                    )
                )
            rollout = rule.get("rollout")
            if rollout is None:
                continue
            now = effective_weights(rollout, rule_state, spec.get("control", spec["default"]))
            rollouts.append(
                RolloutStatus(
                    rule=index + 1,
                    weights=dict(zip(rollout["variants"], now, strict=True)),
                    written=dict(zip(rollout["variants"], rollout["weights"], strict=True)),
                    coverage=rollout.get("coverage", 100),
                    source=_source(rule_state, rollout),
                    stopped=sorted(v for v in rule_state.get("stopped", {}) if v in rollout["variants"]),
                )
            )
        expires = meta.get("expires")
        out.append(
            FlagStatus(
                key=key,
                owner=meta.get("owner"),
                expires=expires,
                expired=bool(expires) and datetime.date.fromisoformat(expires) < today,
                killed=killed,
                paths=list(meta.get("paths", [])),
                rollouts=rollouts,
                adaptive=adaptive,
            )
        )
    return out


def split(weights: dict[str, float]) -> str:
    """``{"a": 10, "b": 90}`` -> ``a 10%, b 90%``."""
    return ", ".join(f"{variant} {share:g}%" for variant, share in weights.items())


def describe_rollout(rollout: RolloutStatus) -> str:
    """One rollout for people: the split now, its coverage, and where it comes from."""
    text = f"rule {rollout.rule}: {split({v: round(w, 2) for v, w in rollout.weights.items()})}"
    if rollout.coverage < 100:
        text += f" of {rollout.coverage:g}% of visitors"
    if rollout.source != "rules":
        text += f" ({rollout.source}; rules say {split(rollout.written)})"
    if rollout.stopped:
        text += f" (stopped by a guardrail: {', '.join(rollout.stopped)})"
    return text


def describe_adaptive(adaptive: AdaptiveStatus) -> str:
    """One adaptive rule for people: its arms, holdout, and whether weights were learned."""
    text = f"rule {adaptive.rule}: adaptive over {', '.join(adaptive.arms)} ({adaptive.holdout:g}% holdout; "
    if adaptive.learned is None:
        return text + "nothing learned yet: an equal split)"
    return text + f"learned {adaptive.learned} for {adaptive.contexts} context(s))"


def describe(flag: FlagStatus) -> list[str]:
    """Every rule of ``flag`` that splits visitors, one line each (rollouts, then adaptive rules)."""
    return [describe_rollout(r) for r in flag.rollouts] + [describe_adaptive(a) for a in flag.adaptive]


def render(statuses: list[FlagStatus]) -> str:
    """A table: flag, owner, expiry, state, and the weights now (one line per rollout rule)."""
    rows = [("flag", "owner", "expires", "state", "weights now")]
    for flag in statuses:
        expires = (flag.expires or "-") + (" (expired)" if flag.expired else "")
        state = f"KILLED ({flag.killed})" if flag.killed else "on"
        lines = describe(flag) or ["-"]
        rows.append((flag.key, flag.owner or "-", expires, state, lines[0]))
        rows.extend(("", "", "", "", line) for line in lines[1:])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    )
