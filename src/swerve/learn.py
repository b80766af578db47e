"""``swerve learn`` as a plan: per adaptive flag, new weights from the outcome rows, and whether to publish them.

Reads the live document, the outcome rows and the publishing history. For each flag with
an ``adapt`` rule:

1. its cadence: when the live policy was published less than ``cadence`` ago, it waits;
2. its data: units (``exposure``) and conversions on the rule's goal per context and arm,
   holdout rows included (``swerve_edge.learner``), from the hour its arms, features and
   goal took their current form (rows recorded under another feature list use the same
   context keys for other visitors, so they are left out);
3. the learner (``swerve_edge.learner.learn``: Thompson sampling per context, pooled
   along the context tree, the floor, the minimum units), seeded with ``seed`` and the
   flag's key, so the same rows give the same weights;
4. publishing: only when a context's weight moved by more than ``tolerance`` percentage
   points, or a context gained or lost weights of its own, against what the edge serves
   now (an equal split before the first policy). Each flag's change is its own version
   (history action ``learn``), built on the previous one, so ``history``, ``diff`` and
   ``rollback`` cover it like any push.
"""

from collections import defaultdict
from collections.abc import Sequence

from swerve_edge.adaptive import policy_applies
from swerve_edge.context_weights import equal_split, global_key
from swerve_edge.learner import Policy, learn, moved

from .advance import Change, Plan
from .live_state import rehashed, rule_state, state_of
from .publish import Pointer
from .report import first_full_period, human, iso
from .report_history import Load, adapt_changed_at, epoch
from .stat_rows import CONVERSION, EXPOSURE, StatRow

LEARN = "learn"
HOUR = 3600


def adapt_rule(spec: dict) -> tuple[int, dict] | None:
    """The index and compiled ``adapt`` block of a flag's adaptive rule, or None."""
    for index, rule in enumerate(spec.get("rules", [])):
        if rule.get("adapt"):
            return index, rule["adapt"]
    return None


def context_counts(
    rows: Sequence[StatRow], flag: str, goal: str, since: int | None
) -> dict[str, dict[str, tuple[int, int]]]:
    """``counts[context][arm] = (units, conversions on goal)`` of ``flag``'s rows with a context."""
    cells: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    conversion = CONVERSION + goal
    for row in rows:
        if row.flag != flag or not row.context or (since is not None and row.period < since):
            continue
        if row.metric == EXPOSURE:
            cells[row.context][row.variant][0] += row.count
        elif row.metric == conversion:
            cells[row.context][row.variant][1] += row.count
    return {c: {arm: (n, k) for arm, (n, k) in arms.items()} for c, arms in cells.items()}


def _since(flag: str, document: dict, history: Sequence[Pointer], load: Load | None) -> int | None:
    """The first period whose rows belong to the current adaptive rule (None: all of them)."""
    changed = adapt_changed_at(flag, document, history, load)
    if changed is None:
        return None
    when, replaced = changed
    # After another adaptive rule, the hour of the change mixes both: start with the next one.
    return first_full_period(when) if replaced else int(when) // HOUR * HOUR


def _describe(policy: Policy) -> list[str]:
    lines = []
    for key in sorted(policy.contexts, key=lambda k: (k.count("*"), k), reverse=True):
        split = " / ".join(f"{arm} {w:g}%" for arm, w in zip(policy.arms, policy.contexts[key], strict=True))
        lines.append(f"    {key or '(global)'}: {split} ({policy.units.get(key, 0)} units)")
    return lines


def plan_learn(
    document: dict,
    rows: Sequence[StatRow],
    history: Sequence[Pointer],
    load: Load | None,
    now: float,
    *,
    seed: int = 0,
    tolerance: float = 1.0,
    draws: int = 4000,
) -> Plan:
    """What ``swerve learn`` publishes for ``document`` at ``now`` (epoch seconds)."""
    changes: list[Change] = []
    lines: list[str] = []
    current = document
    rows = list(rows)
    for spec in document.get("flags", []):
        found = adapt_rule(spec)
        if found is None:
            continue
        key = spec["key"]
        index, adapt = found
        state = state_of(current)
        entry = rule_state(state, key, index)
        live = entry.get("policy") if policy_applies(adapt, entry.get("policy")) else None
        published = epoch(str(live.get("updated"))) if live else None
        if published is not None and now < published + adapt["cadence"]:
            lines.append(
                f"{key}: learned at {human(published, seconds=True)}; the cadence allows the next at "
                f"{human(published + adapt['cadence'], seconds=True)}"
            )
            continue
        counts = context_counts(rows, key, adapt["goal"], _since(key, current, history, load))
        features = len(adapt["features"])
        policy = learn(
            adapt["arms"],
            counts,
            features,
            floor=adapt["floor"],
            min_units=adapt["min_units"],
            draws=draws,
            seed=f"{seed}/{key}",
            top_two=adapt["top_two"],
        )
        serving = live["contexts"] if live else {global_key(features): equal_split(len(adapt["arms"]))}
        units = policy.units.get(global_key(features), 0)
        if not moved(serving, policy.contexts, tolerance):
            lines.append(f"{key}: no weight moved more than {tolerance:g} points ({units} units): nothing to publish")
            continue
        entry["policy"] = {
            "arms": list(adapt["arms"]),
            "features": adapt["features"],
            "goal": adapt["goal"],
            "contexts": policy.contexts,
            "units": policy.units,
            "updated": iso(now),
            "seed": seed,
        }
        current = rehashed(current, state)
        own = sum(1 for k in policy.contexts if k != global_key(features))
        message = f"{key}: learned weights from {units} units ({own} contexts with weights of their own)"
        lines.append(message)
        lines.extend(_describe(policy))
        if policy.ignored:
            lines.append(f"    left out, recorded for another feature list: {', '.join(policy.ignored)}")
        changes.append(Change(key, LEARN, message, current))
    return Plan(changes, lines)
