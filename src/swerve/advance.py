"""``swerve advance`` as a plan: which ramps move one step and which variants stop, and why.

Reads the live document, the outcome rows and the publishing history, and returns one
change per action, each a whole new document (only its live ``state`` differs), built on
the previous one, so the command publishes them in order as their own versions (history
actions ``auto-rollback`` and ``ramp``). Per flag, in this order:

1. guardrails (``swerve_edge.guardrails.judge``) over the hours since the flag's split
   last changed: a variant that breaches one is stopped at 0% in every rollout of the
   flag that has it (its share goes to the control); nothing else moves this run;
2. each ramp (``decide_ramp``): one step when its variant held the guardrails, its step
   is old enough and every live variant has the step's minimum units, else held.

Everything else is left alone: a variant already stopped stays stopped (``swerve
rollback`` undoes a stop), weights set with ``swerve set`` hold the ramp.
"""

from collections.abc import Sequence
from typing import NamedTuple

from swerve_edge.guardrails import ADVANCE, BREACH, Guardrails, Judgement, decide_ramp, judge
from swerve_edge.ruleset import load_ruleset

from .live_state import rehashed, rule_state, state_of
from .publish import Pointer
from .report import iso, ramp_progress, variant_counts
from .report_history import Load, split_changed_at
from .stat_rows import StatRow

AUTO_ROLLBACK = "auto-rollback"
RAMP = "ramp"


class Change(NamedTuple):
    """One action to publish: the history action, its message, and the new live document."""

    flag: str
    action: str
    message: str
    document: dict


class Plan(NamedTuple):
    """The changes to publish, in order, and one line per flag saying what happened and why."""

    changes: list[Change]
    lines: list[str]


def _rollout_rules(spec: dict) -> list[tuple[int, dict]]:
    return [(i, rule["rollout"]) for i, rule in enumerate(spec.get("rules", [])) if rule.get("rollout")]


def _stop(state: dict, spec: dict, variant: str, judgement: Judgement, now: float) -> None:
    for index, rollout in _rollout_rules(spec):
        if variant in rollout["variants"]:
            stopped = rule_state(state, spec["key"], index).setdefault("stopped", {})
            stopped[variant] = {"reason": judgement.reason, "at": iso(now)}


def _is_stopped(state: dict, flag: str, variant: str) -> bool:
    rules = state.get("flags", {}).get(flag, {}).get("rules", {})
    return any(variant in (entry.get("stopped") or {}) for entry in rules.values())


def plan_advance(
    document: dict, rows: Sequence[StatRow], history: Sequence[Pointer], load: Load | None, now: float
) -> Plan:
    """What ``swerve advance`` does to ``document`` at ``now`` (epoch seconds)."""
    changes: list[Change] = []
    lines: list[str] = []
    current = document
    rows = list(rows)
    for spec in document.get("flags", []):
        key = spec["key"]
        ramps = [(i, r["ramp"]) for i, r in _rollout_rules(spec) if r.get("ramp")]
        if not spec.get("guardrails") and not ramps:
            continue
        state = state_of(current)
        control = spec.get("control", spec["default"])
        goal = (spec.get("goals") or [None])[0]
        changed = split_changed_at(key, current, history, load)
        judgements = None
        if spec.get("guardrails"):
            counts = variant_counts(rows, key, goal, changed)
            judgements = judge(counts, control, Guardrails.from_spec(spec["guardrails"]))
            breached = {v: j for v, j in judgements.items() if j.status == BREACH and not _is_stopped(state, key, v)}
            if breached:
                for variant, judgement in sorted(breached.items()):
                    _stop(state, spec, variant, judgement, now)
                    lines.append(f"{key}: stopped {variant} at 0%: {judgement.reason}")
                current = rehashed(current, state)
                message = "; ".join(f"stop {v}: {j.reason}" for v, j in sorted(breached.items()))
                changes.append(Change(key, AUTO_ROLLBACK, f"{key}: {message}", current))
                continue
        flag = load_ruleset(current).by_key[key]
        for index, ramp in ramps:
            entry = rule_state(state, key, index)
            variant = ramp["variant"]
            if variant in (entry.get("stopped") or {}):
                lines.append(f"{key}: ramp of {variant} stays stopped (`swerve rollback` undoes the stop)")
                continue
            if entry.get("weights") is not None:
                lines.append(f"{key}: ramp held by weights set with `swerve set` (`swerve set {key} --clear`)")
                continue
            step, since, units = ramp_progress(flag, index, entry, rows, changed, now)
            decision = decide_ramp(ramp, step, since, now, units, judgements)
            if decision.action != ADVANCE:
                lines.append(f"{key}: ramp holds: {decision.reason}")
                continue
            totals = variant_counts(rows, key, None)
            entry.update(
                ramp_step=decision.step,
                ramp=ramp,
                ramp_since=iso(now),
                ramp_base={v: totals[v].units for v in sorted(totals)},
            )
            current = rehashed(current, state)
            steps = ramp["steps"]
            message = f"{key}: {variant} {steps[step]:g}% -> {steps[decision.step]:g}% ({decision.reason})"
            lines.append(message)
            changes.append(Change(key, RAMP, message, current))
    return Plan(changes, lines)
