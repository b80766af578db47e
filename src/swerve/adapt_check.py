"""Checks of an ``adapt`` rule, and what it compiles to.

An adaptive rule may only read attributes the edge itself sets (``request.*`` and
``behavior.*`` from ``swerve_edge.attributes``: never ``user.*``, which the app supplies),
numbers cut by increasing edges and strings by a list of values, and its features may make
at most ``swerve_edge.adaptive.MAX_CONTEXTS`` contexts: a visitor controls some of these
values (the User-Agent, a query parameter), and each context is rows in D1 and an entry in
the policy, so their number must be bounded by the rules, never by the traffic.
"""

import itertools
import math
import re
from collections.abc import Callable
from typing import Any

from swerve_edge.adaptive import MAX_CONTEXTS, MAX_FEATURES
from swerve_edge.attributes import is_number

from .condition_check import check_attribute
from .schema import Adapt, Flag

Report = Callable[[tuple[str | int, ...], str], None]

_CADENCE = re.compile(r"[1-9][0-9]{0,4}[mhd]")
_CADENCE_UNITS = {"m": 60, "h": 3600, "d": 86_400}


def cadence_seconds(cadence: str) -> int:
    """``30m`` / ``1h`` / ``2d`` in seconds (``check_adapt`` refuses any other form)."""
    return int(cadence[:-1]) * _CADENCE_UNITS[cadence[-1]]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _feature_problem(attribute: str, cuts: list, events: set[str]) -> tuple[str, str] | None:
    """``(where, message)`` when a feature is not one the edge can bucket; ``where`` is "" or "cuts"."""
    problem = check_attribute(attribute, events)
    if problem:
        return "", problem
    root = attribute.split(".", 1)[0]
    if root == "user":
        return "", f"`{attribute}` comes from the app, not the edge: features use request.* and behavior.* attributes"
    if attribute == "request.bot":
        return "", "bots skip adaptive rules: request.bot cannot be a feature"
    if not cuts:
        return "cuts", "give the bucket edges (numbers) or values (strings)"
    if is_number(attribute):
        if not all(_is_number(c) for c in cuts):
            return "cuts", f"`{attribute}` is a number: give increasing edges such as [1, 3]"
        if any(b <= a for a, b in itertools.pairwise(cuts)):
            return "cuts", "edges must increase"
    elif not all(isinstance(c, str) for c in cuts):
        return "cuts", f"`{attribute}` is a string: give its values, such as [mobile, tablet] (the rest is 'other')"
    elif len(set(cuts)) != len(cuts):
        return "cuts", "values must be distinct"
    return None


def check_adapt(flag: Flag, adapt: Adapt, events: set[str], report: Report) -> None:
    """Report every problem of one ``adapt`` block (paths relative to the block)."""
    seen: set[str] = set()
    for i, arm in enumerate(adapt.arms):
        if arm not in flag.variants:
            report(("arms", i), f"unknown variant `{arm}`")
        elif arm in seen:
            report(("arms", i), f"arm `{arm}` is listed twice")
        seen.add(arm)
    if len(adapt.arms) < 2:
        report(("arms",), "an adaptive rule needs at least two arms to choose between")
    if adapt.goal is None:
        if not flag.goals:
            report((), "give the rule a `goal` (a declared event) or the flag `goals`")
    elif adapt.goal not in events:
        report(("goal",), f"unknown event `{adapt.goal}`: declare it under events:")
    elif flag.goals and adapt.goal not in flag.goals:
        report(("goal",), f"`{adapt.goal}` is not one of the flag's goals: add it to `goals` so it is counted")
    if len(adapt.features) > MAX_FEATURES:
        report(("features",), f"at most {MAX_FEATURES} features ({len(adapt.features)} given)")
    contexts = 1
    for attribute, cuts in adapt.features.items():
        problem = _feature_problem(attribute, cuts, events)
        if problem is not None:
            where, message = problem
            report(("features", attribute) if not where else ("features", attribute, 0), message)
        contexts *= len(cuts) + 1
    if contexts > MAX_CONTEXTS:
        report(
            ("features",),
            f"these features make {contexts} contexts, more than {MAX_CONTEXTS}: use fewer edges or values",
        )
    if not _CADENCE.fullmatch(adapt.cadence):
        report(("cadence",), f"{adapt.cadence!r} is not a cadence: give minutes, hours or days, such as 30m, 1h, 1d")
    if adapt.holdout >= 100:
        report(("holdout",), "a holdout of 100% leaves no visitor to the policy")
    if len(adapt.arms) * adapt.floor >= 100:
        report(("floor",), f"a floor of {adapt.floor:g}% for {len(adapt.arms)} arms leaves nothing to learn")


def compile_adapt(flag: Flag, adapt: Adapt) -> dict[str, Any]:
    """The compiled ``adapt`` block (see docs/rules.md, Compiled format)."""
    features = []
    for attribute, cuts in adapt.features.items():
        kind = "edges" if is_number(attribute) else "values"
        features.append({"attribute": attribute, kind: list(cuts)})
    return {
        "arms": list(adapt.arms),
        "goal": adapt.goal or flag.goals[0],
        "features": features,
        "holdout": adapt.holdout,
        "floor": adapt.floor,
        "min_units": adapt.min_units,
        "cadence": cadence_seconds(adapt.cadence),
        "top_two": adapt.top_two,
    }


def adapt_goals(flag: Flag) -> list[str]:
    """The flag's compiled goals: as written, or the adaptive rule's goal when none are written."""
    if flag.goals:
        return list(flag.goals)
    return [rule.adapt.goal for rule in flag.rules if rule.adapt is not None and rule.adapt.goal][:1]
