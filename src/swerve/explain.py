"""``swerve explain``: one described request through the edge evaluator, with reasons."""

import datetime
import json
import time
import zoneinfo
from typing import Any

import msgspec

from swerve_edge.context import build_attributes, request_attributes
from swerve_edge.context_weights import split_holdout
from swerve_edge.decide import Decision, decide
from swerve_edge.ruleset import Ruleset


class AdaptiveExplanation(msgspec.Struct, kw_only=True):
    """An adaptive decision: the visitor's context, whose weights apply to it, and what they are."""

    context: str
    holdout: bool
    weights_from: str | None
    weights: dict[str, float]


class FlagExplanation(msgspec.Struct, kw_only=True):
    """One flag's outcome for the described request."""

    flag: str
    variant: str
    value: Any
    reason: str
    steps: list[str]
    adaptive: AdaptiveExplanation | None = None


def _adaptive(ruleset: Ruleset, decision: Decision) -> AdaptiveExplanation | None:
    """What the edge's precomputed tables say about an adaptive decision's context."""
    if not decision.context or decision.rule is None:
        return None
    adaptive = ruleset.by_key[decision.flag].rules[decision.rule - 1].adapt
    key, holdout = split_holdout(decision.context)
    if adaptive is None or key not in adaptive.index:
        return None
    index = adaptive.index[key]
    return AdaptiveExplanation(
        context=key,
        holdout=holdout,
        weights_from=adaptive.sources[index],
        weights=dict(zip(adaptive.arms, adaptive.weights[index], strict=True)),
    )


def split_exposures(exposures: dict[str, Any] | None) -> tuple[dict[str, str], dict[str, str]]:
    """``--exposures`` as (flag -> variant, flag -> context): a value is a variant, or
    ``{"variant": ..., "context": ...}`` for an adaptive flag's exposure in a context."""
    variants: dict[str, str] = {}
    contexts: dict[str, str] = {}
    for flag, seen in (exposures or {}).items():
        if isinstance(seen, dict):
            variants[flag] = str(seen.get("variant", ""))
            if seen.get("context"):
                contexts[flag] = str(seen["context"])
        else:
            variants[flag] = str(seen)
    return variants, contexts


def local_time(timezone: str | None, now: float) -> tuple[int | None, int | None]:
    """Local hour and ISO weekday in ``timezone`` (None, None when unknown)."""
    if not timezone:
        return None, None
    try:
        moment = datetime.datetime.fromtimestamp(now, zoneinfo.ZoneInfo(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None, None
    return moment.hour, moment.isoweekday()


def explain(
    ruleset: Ruleset,
    url: str,
    headers: dict[str, str],
    cf: dict[str, Any],
    user_id: str | None,
    anonymous_id: str,
    user_attributes: dict[str, Any],
    behavior: dict[str, Any],
    now: float | None = None,
    exposures: dict[str, Any] | None = None,
) -> list[FlagExplanation]:
    """Decide every in-scope flag for the described request and keep each reason chain.

    ``exposures`` maps a flag to the variant seen before, or to ``{"variant", "context"}``.
    """
    now = time.time() if now is None else now
    hour, weekday = local_time(cf.get("timezone"), now)
    request = request_attributes(url, "GET", {k.lower(): v for k, v in headers.items()}, cf, hour, weekday)
    attributes = build_attributes(request, anonymous_id, user_id, user_attributes, behavior)
    trace: dict[str, list[str]] = {}
    seen, contexts = split_exposures(exposures)
    decisions = decide(ruleset, attributes, now, seen, trace, contexts=contexts)
    return [
        FlagExplanation(
            flag=d.flag,
            variant=d.variant,
            value=d.value,
            reason=d.describe(),
            steps=trace.get(d.flag, []),
            adaptive=_adaptive(ruleset, d),
        )
        for d in decisions
    ]


def render(explanations: list[FlagExplanation], as_json: bool) -> str:
    """Text for people, or one JSON array for machines."""
    if as_json:
        return json.dumps([msgspec.to_builtins(e) for e in explanations], indent=2)
    lines = []
    for e in explanations:
        lines.append(f"{e.flag}: {e.variant}  ({e.reason})  value={json.dumps(e.value)}")
        lines.extend(f"    - {step}" for step in e.steps)
    return "\n".join(lines) if lines else "no flag is in scope for this request"
