"""Guardrail judgement and ramp decisions: what ``swerve advance`` does, as pure functions.

A guardrail stops a variant only when the data say, at 95% confidence, that the variant
is past the line, not when its point estimate happens to be: with hundreds of units a
healthy variant's observed rates wander, and rolling it back on noise would make ramps
useless. Concretely, for a variant other than the control with at least ``min_units``
units (and, for the conversion guardrail, a control with at least ``min_units`` too):

- ``max_error_rate`` (percent of exposed visitors' requests answered with a 5xx) is
  breached when the Wilson 95% interval of the error share lies entirely above the
  maximum. A visitor's requests are not independent (one visitor on a broken page
  fails again and again), so the interval is computed with the number of units, not of
  requests, as its sample size: the variance of a clustered share is at most the
  cluster size times the independent one (design effect <= requests per visitor), so
  this interval is conservative. When the control's own error interval is above the
  maximum too, the origin fails for everyone: that is not the variant's doing, and the
  variant is left alone (reported as not judged).
- ``min_conversion_ratio`` (the variant's rate on the flag's first goal over the
  control's) is breached when the 95% interval of that ratio (delta method on its log,
  ``stats.ratio_interval``) lies entirely below the minimum.

The control is the baseline and is never stopped. ``decide_ramp`` then moves a ramp one
step only when its variant is judged healthy, its step has lasted ``min_hours`` and every
variant has ``min_units`` units since the step began; a breach stops the variant.
"""

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .stats import Interval, ratio_interval, wilson_score

# Judgement statuses of one variant.
CONTROL = "control"
PENDING = "pending"
OK = "ok"
BREACH = "breach"

ERROR_GUARDRAIL = "max_error_rate"
CONVERSION_GUARDRAIL = "min_conversion_ratio"

# Ramp actions.
ADVANCE = "advance"
HOLD = "hold"
STOP = "stop"


class VariantCounts(NamedTuple):
    """What a variant did: units exposed, their requests and 5xx, conversions on the primary goal."""

    units: int
    requests: int
    errors: int
    conversions: int


class Guardrails(NamedTuple):
    """A flag's guardrails as compiled: percent, ratio, units."""

    max_error_rate: float | None
    min_conversion_ratio: float | None
    min_units: int

    @classmethod
    def from_spec(cls, spec: Mapping) -> "Guardrails":
        """From the compiled flag's ``guardrails`` object."""
        return cls(spec.get("max_error_rate"), spec.get("min_conversion_ratio"), int(spec.get("min_units", 100)))


class Breach(NamedTuple):
    """One guardrail a variant broke, with the numbers behind the verdict."""

    guardrail: str
    observed: float
    interval: Interval
    threshold: float
    message: str


class Judgement(NamedTuple):
    """One variant's guardrail verdict.

    ``error_share`` and ``conversion_ratio`` (with their intervals) are filled whenever
    they can be computed, judged or not, so a report can show them.
    """

    variant: str
    status: str
    reason: str
    breaches: tuple[Breach, ...]
    error_share: float | None
    error_interval: Interval | None
    conversion_ratio: float | None
    ratio_interval: Interval | None


def _error_share(counts: VariantCounts) -> tuple[float | None, Interval | None]:
    if counts.requests <= 0:
        return None, None
    share = min(counts.errors / counts.requests, 1.0)
    effective = min(counts.units, counts.requests) if counts.units > 0 else counts.requests
    return share, wilson_score(share, effective)


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def judge(counts: Mapping[str, VariantCounts], control: str, guardrails: Guardrails) -> dict[str, Judgement]:
    """The verdict for every variant in ``counts`` (see the module docstring for when a guardrail trips)."""
    base = counts.get(control)
    max_share = guardrails.max_error_rate / 100 if guardrails.max_error_rate is not None else None
    origin_share: float | None = None
    if max_share is not None and base is not None and base.units >= guardrails.min_units:
        share, interval = _error_share(base)
        if interval is not None and interval.low > max_share:
            origin_share = share
    return {variant: _judge_one(variant, c, control, base, guardrails, origin_share) for variant, c in counts.items()}


def _judge_one(
    variant: str,
    c: VariantCounts,
    control: str,
    base: VariantCounts | None,
    guardrails: Guardrails,
    origin_share: float | None,
) -> Judgement:
    share, share_ci = _error_share(c)
    ratio = ratio_ci = None
    if base is not None and variant != control and c.units > 0 and base.units > 0:
        ratio_ci = ratio_interval(c.conversions, c.units, base.conversions, base.units)
        if base.conversions > 0:
            ratio = (c.conversions / c.units) / (base.conversions / base.units)
    numbers = (share, share_ci, ratio, ratio_ci)
    if variant == control:
        return Judgement(variant, CONTROL, "the control is the baseline and is never stopped", (), *numbers)
    if c.units < guardrails.min_units:
        why = f"{c.units} of {guardrails.min_units} units before guardrails are judged"
        return Judgement(variant, PENDING, why, (), *numbers)
    breaches: list[Breach] = []
    waiting: list[str] = []
    maximum = guardrails.max_error_rate
    if maximum is not None and share is not None and share_ci is not None and share_ci.low > maximum / 100:
        if origin_share is not None:
            waiting.append(
                f"errors {_pct(share)} but the control fails too ({_pct(origin_share)}): the origin, not this variant"
            )
        else:
            message = (
                f"error share {_pct(share)} of {c.requests:,} requests, 95% interval "
                f"{_pct(share_ci.low)}-{_pct(share_ci.high)}, above the maximum {maximum:g}%"
            )
            breaches.append(Breach(ERROR_GUARDRAIL, share, share_ci, maximum, message))
    minimum = guardrails.min_conversion_ratio
    if minimum is not None:
        if base is None or base.units < guardrails.min_units:
            have = base.units if base is not None else 0
            waiting.append(f"the control has {have} of {guardrails.min_units} units for the conversion guardrail")
        elif ratio_ci is not None and ratio_ci.high < minimum:
            observed = ratio if ratio is not None else 0.0
            message = (
                f"conversion ratio {observed:.3f} against {control} ({c.conversions}/{c.units} vs "
                f"{base.conversions}/{base.units}), 95% interval {ratio_ci.low:.3f}-{ratio_ci.high:.3f}, "
                f"below the minimum {minimum:g}"
            )
            breaches.append(Breach(CONVERSION_GUARDRAIL, observed, ratio_ci, minimum, message))
    if breaches:
        return Judgement(variant, BREACH, "; ".join(b.message for b in breaches), tuple(breaches), *numbers)
    if waiting:
        return Judgement(variant, PENDING, "; ".join(waiting), (), *numbers)
    return Judgement(variant, OK, "within its guardrails at 95% confidence", (), *numbers)


class RampDecision(NamedTuple):
    """What to do with a ramp now: ``advance`` to ``step``, ``hold`` at it, or ``stop`` its variant."""

    action: str
    step: int
    reason: str


def decide_ramp(
    ramp: Mapping,
    step: int,
    since: float,
    now: float,
    units: Mapping[str, int],
    judgements: Mapping[str, Judgement] | None,
) -> RampDecision:
    """The next move of a rollout's ramp (``{variant, steps, min_hours, min_units}``).

    ``step`` is the current step index and ``since`` when it began (epoch seconds);
    ``units`` the units of every variant with a share in the rollout since ``since``
    (a variant without an entry counts as 0); ``judgements`` the guardrail verdicts
    (``judge``), or None when the flag has no guardrails. Stop when the ramp's variant
    breaches a guardrail; hold while it is not judged yet, the step is younger than
    ``min_hours`` or some variant has fewer than ``min_units`` units since it began,
    and at the last step; otherwise advance one step.
    """
    variant = ramp["variant"]
    steps: Sequence[float] = ramp["steps"]
    step = min(max(step, 0), len(steps) - 1)
    judged = judgements.get(variant) if judgements is not None else None
    if judged is not None and judged.status == BREACH:
        return RampDecision(STOP, step, f"{variant}: {judged.reason}")
    if step >= len(steps) - 1:
        return RampDecision(HOLD, step, f"the ramp is complete: {variant} at {steps[step]:g}%")
    here = f"step {step + 1} of {len(steps)} ({steps[step]:g}%)"
    hours = max(0.0, now - since) / 3600
    min_hours = float(ramp.get("min_hours", 24))
    if hours < min_hours:
        return RampDecision(HOLD, step, f"{here} has run {hours:.1f} of {min_hours:g} hours")
    min_units = int(ramp.get("min_units", 100))
    short = sorted((n, v) for v, n in units.items() if n < min_units)
    if variant not in units and min_units > 0:
        short.insert(0, (0, variant))
    if short:
        have = ", ".join(f"{v} {n}" for n, v in short)
        return RampDecision(HOLD, step, f"{here} needs {min_units} units per variant since it began: {have}")
    if judgements is not None and (judged is None or judged.status != OK):
        why = judged.reason if judged is not None else "no data"
        return RampDecision(HOLD, step, f"{here}: guardrails not judged yet ({why})")
    return RampDecision(ADVANCE, step + 1, f"{here} held its guardrails; now {steps[step + 1]:g}%")
