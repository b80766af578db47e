"""``swerve report``: what each variant did, built from the outcome rows, for people and machines.

Inputs, all already read by the command: the live compiled document (goals, control,
guardrails, each variant's HTML operations, and the live state applied by
``swerve_edge.ruleset.load_ruleset`` for the current weights), the rows of the outcome
table (``swerve.stat_rows.StatRow``), and the publishing history with a way to load the
document of a past version (for when a flag's split last changed, and for an adaptive
policy's weights over time). Everything here is pure: the same inputs give the same
report, Monte Carlo included (seeded).

Per flag and variant: units (visitors exposed), conversions per goal, the first goal's
rate with its 95% Wilson interval, the relative uplift against the control with its 95%
interval, the probability of being best, the current weight, the guardrail verdict
(``swerve_edge.guardrails.judge``, exactly what ``swerve advance`` acts on) and selector
health. Per flag: the sample-ratio-mismatch p-value, flagged below 0.001.

The SRM test compares units with the weights that produced them, so it only counts
exposures since the flag's split last changed (a ramp step, ``swerve set``, a guardrail
stop): before that, other weights were in force. The table counts by UTC hour, so the
hour in which the change happened is left out too (it mixes both splits): the test
starts with the first hour that began after the change.

Adaptive flags (rows with a context) also get, per context, each arm's units, rate and
current weight, and the policy's uplift against the holdout (visitors given a uniformly
random arm) with its 95% interval, overall and per context; the holdout's units per arm
are what the SRM test checks for them (they should be equal).

Output: ``to_json`` here (``--json``), ``swerve.report_text.render_text`` for people and
``swerve.report_html.render_html`` (``--html``); ``swerve.report_history`` reads the history.
"""

import datetime
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from swerve_edge.context_weights import nearest, split_holdout
from swerve_edge.guardrails import HOLD, Guardrails, Judgement, VariantCounts, decide_ramp, judge
from swerve_edge.ruleset import Flag, load_ruleset
from swerve_edge.stats import p_best, relative_uplift, srm_p_value, wilson

from .publish import Pointer
from .report_history import Load, WeightPoint, epoch, policy_of, policy_points, split_changed_at
from .stat_rows import CONVERSION, ERROR, EXPOSURE, MISS, PAGE, REQUEST, SKIP, StatRow

SRM_ALPHA = 0.001
HOUR = 3600
DAY = 86_400
# Up to three days of data is charted hour by hour, longer spans day by day.
HOURLY_SPAN = 3 * DAY


class GoalStats(msgspec.Struct, kw_only=True):
    """One goal of one variant: conversions, rate, uplift against the control, P(best)."""

    conversions: int
    rate: float | None
    rate_ci: tuple[float, float] | None
    uplift: float | None
    uplift_ci: tuple[float, float] | None
    p_best: float | None


class OperationHealth(msgspec.Struct, kw_only=True):
    """Selector health of one HTML operation: pages where it matched nothing or could not apply."""

    index: int
    selector: str
    action: str
    misses: int
    skips: int
    status: str


class SelectorHealth(msgspec.Struct, kw_only=True):
    """Rewritten pages of a variant checked for selector health, per operation."""

    pages: int
    operations: list[OperationHealth]


class GuardrailStatus(msgspec.Struct, kw_only=True):
    """The guardrail verdict of one variant (``swerve_edge.guardrails.Judgement``) with its numbers."""

    status: str
    reason: str
    breaches: list[str]
    error_rate: float | None
    error_rate_ci: tuple[float, float] | None
    conversion_ratio: float | None
    conversion_ratio_ci: tuple[float, float] | None


class VariantReport(msgspec.Struct, kw_only=True):
    """One variant; ``rate``, ``uplift`` and ``p_best`` are on the flag's first goal."""

    units: int
    conversions: dict[str, int]
    rate: float | None
    rate_ci: tuple[float, float] | None
    uplift: float | None
    uplift_ci: tuple[float, float] | None
    p_best: float | None
    weight: float | None
    requests: int
    errors: int
    goals: dict[str, GoalStats]
    guardrail: GuardrailStatus | None
    selectors: SelectorHealth | None


class Point(msgspec.Struct, array_like=True):
    """A cumulative point of a variant's rate: ``[time, units, conversions, rate, low, high]``."""

    time: int
    units: int
    conversions: int
    rate: float
    low: float
    high: float


class RampStatus(msgspec.Struct, kw_only=True):
    """Where a ramp is and what the next ``swerve advance`` would do with it."""

    variant: str
    step: int
    steps: list[float]
    since: str | None
    next: str
    reason: str


class ArmStats(msgspec.Struct, kw_only=True):
    """One arm in one context: units, conversions, rate and the weight its visitors get now."""

    units: int
    conversions: int
    rate: float | None
    rate_ci: tuple[float, float] | None
    weight: float


class PolicyVsHoldout(msgspec.Struct, kw_only=True):
    """The policy's visitors against the holdout's: units, conversions, rates, uplift."""

    policy_units: int
    policy_conversions: int
    policy_rate: float | None
    policy_rate_ci: tuple[float, float] | None
    holdout_units: int
    holdout_conversions: int
    holdout_rate: float | None
    holdout_rate_ci: tuple[float, float] | None
    uplift: float | None
    uplift_ci: tuple[float, float] | None


class ContextReport(msgspec.Struct, kw_only=True):
    """One context key of an adaptive flag; ``weights_from`` is the key whose weights apply."""

    units: int
    weights_from: str | None
    arms: dict[str, ArmStats]
    policy: PolicyVsHoldout


class AdaptiveReport(msgspec.Struct, kw_only=True):
    """An adaptive flag's contexts, the policy against the holdout, and the weights over time."""

    goal: str | None
    arms: list[str]
    policy: PolicyVsHoldout
    contexts: dict[str, ContextReport]
    weights_over_time: list[WeightPoint]
    until: int
    # Each context key shown (and the pooled "everyone else" key) in words, from the live rule.
    labels: dict[str, str] = {}


class FlagReport(msgspec.Struct, kw_only=True):
    """One flag; ``series`` holds each variant's cumulative first-goal rate per ``series_step``."""

    control: str
    goals: list[str]
    variants: dict[str, VariantReport]
    srm_p: float | None
    srm_flagged: bool
    srm_since: str | None
    srm_note: str
    guardrails: dict[str, Any] | None
    ramp: RampStatus | None
    adaptive: AdaptiveReport | None
    series_step: str
    series: dict[str, list[Point]]
    summary: list[str]
    notes: list[str]


class Report(msgspec.Struct, kw_only=True):
    """The whole report: ``flags`` by key, in the document's order."""

    generated: str
    flags: dict[str, FlagReport]


def iso(epoch: float) -> str:
    """Epoch seconds as ``2026-11-22T05:00:00Z``."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def human(epoch: float, seconds: bool = False) -> str:
    """Epoch seconds as ``2026-11-22 05:00 UTC`` (with ``seconds``: ``05:00:17``), for sentences."""
    form = "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime(form)


def first_full_period(since: float) -> int:
    """The start of the first UTC hour that began at or after ``since``."""
    return math.ceil(since / HOUR) * HOUR


def _pair(interval: Sequence[float] | None) -> tuple[float, float] | None:
    return (interval[0], interval[1]) if interval is not None else None


def variant_counts(
    rows: Iterable[StatRow], flag: str, goal: str | None, since: float | None = None, *, whole_hours: bool = False
) -> dict[str, VariantCounts]:
    """Per variant of ``flag``: units, requests, 5xx and conversions on ``goal`` (all contexts).

    This is what ``swerve_edge.guardrails.judge`` takes, and (its units) what
    ``decide_ramp`` takes. With ``since`` only recent hours count: by default from the
    hour holding ``since`` (a ramp step's minimum units then include the units of that
    hour before the step began: the table cannot tell them apart, and leaving the hour
    out would hold a fresh step for up to an hour whatever its traffic); with
    ``whole_hours``, from the first hour that began at or after it.
    """
    start = None
    if since is not None:
        start = first_full_period(since) if whole_hours else int(since) // HOUR * HOUR
    conversion = CONVERSION + goal if goal else None
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        if row.flag != flag or (start is not None and row.period < start):
            continue
        cell = sums[row.variant]
        if row.metric == EXPOSURE:
            cell[0] += row.count
        elif row.metric == REQUEST:
            cell[1] += row.count
        elif row.metric == ERROR:
            cell[2] += row.count
        elif row.metric == conversion:
            cell[3] += row.count
    return {variant: VariantCounts(*cell) for variant, cell in sorted(sums.items())}


def _weights_now(flag: Flag) -> dict[str, float] | None:
    """Percent per variant of the flag's one rollout (live state applied); None without exactly one."""
    rollouts = [rule for rule in flag.rules if rule.rollout is not None]
    if len(rollouts) != 1:
        return None
    rule = rollouts[0]
    widths = [b - a for a, b in rule.ranges]
    total = sum(widths)
    return {v: (100 * w / total if total > 0 else 0.0) for v, w in zip(rule.rollout or (), widths, strict=True)}


def _selector_health(variant_spec: dict, totals: Mapping[str, int]) -> SelectorHealth | None:
    ops = variant_spec.get("ops") or []
    if not ops:
        return None
    pages = totals.get(PAGE, 0)
    out = []
    for i, op in enumerate(ops):
        misses = totals.get(f"{MISS}{i}", 0)
        skips = totals.get(f"{SKIP}{i}", 0)
        if pages == 0:
            status = "no pages checked yet"
        elif misses >= pages:
            status = "never matched: the page changed or the selector is wrong"
        elif misses:
            status = f"matched nothing on {misses:,} of {pages:,} pages"
        else:
            status = "matched on every page"
        if skips:
            status += f"; could not apply on {skips:,} pages"
        out.append(
            OperationHealth(index=i, selector=str(op[0]), action=str(op[1]), misses=misses, skips=skips, status=status)
        )
    return SelectorHealth(pages=pages, operations=out)


def _rate_stats(conversions: int, units: int) -> tuple[float | None, tuple[float, float] | None]:
    if units <= 0:
        return None, None
    return conversions / units, _pair(wilson(conversions, units))


def _series(rows: list[StatRow], goal: str | None, variants: Sequence[str]) -> tuple[str, dict[str, list[Point]]]:
    """Cumulative rate and interval per variant at the end of each hour (or day, for long spans)."""
    periods = [r.period for r in rows if r.metric == EXPOSURE]
    if not periods or goal is None:
        return "hour", {}
    step = HOUR if max(periods) - min(periods) <= HOURLY_SPAN else DAY
    conversion = CONVERSION + goal
    buckets: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        if row.metric == EXPOSURE or row.metric == conversion:
            cell = buckets[(row.variant, row.period // step * step)]
            cell[0 if row.metric == EXPOSURE else 1] += row.count
    times = sorted({t for _, t in buckets})
    out: dict[str, list[Point]] = {}
    for variant in variants:
        units = conversions = 0
        points = []
        for t in times:
            units_here, conversions_here = buckets.get((variant, t), (0, 0))
            units += units_here
            conversions += conversions_here
            if units > 0:
                low, high = wilson(conversions, units)
                points.append(Point(t + step, units, conversions, conversions / units, low, high))
        if points:
            out[variant] = points
    return ("hour" if step == HOUR else "day"), out


def _policy_vs_holdout(cells: Mapping[tuple[str, bool], list[int]]) -> PolicyVsHoldout:
    """``cells[(arm, holdout)] = [units, conversions]`` summed into the two groups and compared."""
    sums = {False: [0, 0], True: [0, 0]}
    for (_arm, holdout), (units, conversions) in cells.items():
        sums[holdout][0] += units
        sums[holdout][1] += conversions
    (pu, pc), (hu, hc) = sums[False], sums[True]
    p_rate, p_ci = _rate_stats(pc, pu)
    h_rate, h_ci = _rate_stats(hc, hu)
    uplift = relative_uplift(pc, pu, hc, hu)
    uplift_ci = (uplift.low, uplift.high) if uplift.low is not None and uplift.high is not None else None
    return PolicyVsHoldout(
        policy_units=pu,
        policy_conversions=pc,
        policy_rate=p_rate,
        policy_rate_ci=p_ci,
        holdout_units=hu,
        holdout_conversions=hc,
        holdout_rate=h_rate,
        holdout_rate_ci=h_ci,
        uplift=uplift.estimate,
        uplift_ci=uplift_ci,
    )


def _adaptive(
    spec: dict,
    flag: Flag,
    rows: list[StatRow],
    document: dict,
    goal: str | None,
    points: Sequence[WeightPoint],
    now: float,
) -> AdaptiveReport:
    # The live adaptive rule as the edge loaded it: its arms, goal and each context's weights.
    live = next((rule.adapt for rule in flag.rules if rule.adapt is not None), None)
    policy: dict[str, list[float]] = {}
    if live is not None:
        goal = live.goal or goal
        arms = list(live.arms)
    else:
        # Rows of a flag that is no longer adaptive: the weights its last policy gave.
        policy, policy_arms = policy_of(document, spec["key"])
        arms = policy_arms or [v["key"] for v in spec["variants"]]
    conversion = CONVERSION + goal if goal else None
    cells: dict[str, dict[tuple[str, bool], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        if not row.context or row.variant not in arms:
            continue
        key, holdout = split_holdout(row.context)
        if row.metric == EXPOSURE:
            cells[key][(row.variant, holdout)][0] += row.count
        elif row.metric == conversion:
            cells[key][(row.variant, holdout)][1] += row.count
    everything: dict[tuple[str, bool], list[int]] = defaultdict(lambda: [0, 0])
    contexts: dict[str, ContextReport] = {}
    for key in sorted(cells, key=lambda k: (-sum(u for u, _ in cells[k].values()), k)):
        if live is not None and key in live.index:
            source, weights = live.sources[live.index[key]], list(live.weights[live.index[key]])
        else:
            source, weights = nearest(policy, len(arms), key)
        per_arm = {}
        for i, arm in enumerate(arms):
            units = sum(cells[key].get((arm, h), [0, 0])[0] for h in (False, True))
            conversions = sum(cells[key].get((arm, h), [0, 0])[1] for h in (False, True))
            rate, rate_ci = _rate_stats(conversions, units)
            per_arm[arm] = ArmStats(units=units, conversions=conversions, rate=rate, rate_ci=rate_ci, weight=weights[i])
        for cell, (units, conversions) in cells[key].items():
            everything[cell][0] += units
            everything[cell][1] += conversions
        contexts[key] = ContextReport(
            units=sum(u for u, _ in cells[key].values()),
            weights_from=source,
            arms=per_arm,
            policy=_policy_vs_holdout(cells[key]),
        )
    labels: dict[str, str] = {}
    if live is not None:
        pooled = ".".join("*" for _ in live.features)
        for key in [*contexts, pooled]:
            words = live.context_words(key)
            if words:
                labels[key] = words
    return AdaptiveReport(
        goal=goal,
        arms=arms,
        policy=_policy_vs_holdout(everything),
        contexts=contexts,
        weights_over_time=list(points),
        until=int(now),
        labels=labels,
    )


def _holdout_units(rows: list[StatRow], arms: Sequence[str], start: int | None) -> list[int]:
    units = dict.fromkeys(arms, 0)
    for row in rows:
        counted = row.metric == EXPOSURE and row.variant in units and (start is None or row.period >= start)
        if counted and split_holdout(row.context)[1]:
            units[row.variant] += row.count
    return [units[a] for a in arms]


def _srm(
    flag: Flag,
    rows: list[StatRow],
    weights: dict[str, float] | None,
    adaptive: AdaptiveReport | None,
    since: float | None,
    now: float,
) -> tuple[float | None, str | None, str]:
    """``(p, counted from, note)`` of the sample-ratio-mismatch test (see the module docstring)."""
    start = first_full_period(since) if since is not None else None
    stamp = iso(start) if start is not None else None
    window = f"units since {human(start)}, the first full hour after the split last changed" if start else "all units"
    if start is not None and start > now:
        return None, stamp, f"not tested: no full hour yet since the split changed at {human(since or 0)}"
    if adaptive is not None:
        arms = adaptive.arms
        observed = _holdout_units(rows, arms, start)
        expected = [1.0] * len(arms)
        what = "holdout arms against an equal split"
    elif weights is None:
        several = sum(1 for rule in flag.rules if rule.rollout is not None) > 1
        return None, None, "not tested: " + ("several rollout rules share these counts" if several else "no rollout")
    else:
        units = dict.fromkeys(weights, 0)
        for row in rows:
            if row.metric == EXPOSURE and row.variant in units and (start is None or row.period >= start):
                units[row.variant] += row.count
        observed, expected = [units[v] for v in weights], list(weights.values())
        what = "against " + "/".join(f"{w:g}" for w in weights.values())
    p = srm_p_value(observed, expected)
    if p is None:
        return None, stamp, f"not tested: no units yet ({what}; {window})"
    return p, stamp, f"{what}; {window}"


def _guardrail_status(judgement: Judgement) -> GuardrailStatus:
    return GuardrailStatus(
        status=judgement.status,
        reason=judgement.reason,
        breaches=[b.message for b in judgement.breaches],
        error_rate=judgement.error_share,
        error_rate_ci=_pair(judgement.error_interval),
        conversion_ratio=judgement.conversion_ratio,
        conversion_ratio_ci=_pair(judgement.ratio_interval),
    )


def ramp_progress(
    flag: Flag, index: int, state: Mapping, rows: list[StatRow], changed: float | None, now: float
) -> tuple[int, float, dict[str, int]]:
    """A ramp's current step, when it began, and the units of each live variant since then.

    ``swerve advance`` stores, when it moves a step, each variant's total units at that
    moment (``ramp_base``): units since the step are the totals minus that, exactly. A
    first step (nothing stored) counts from the hour of ``changed`` (the split's last
    change), or from the first exposure.
    """
    step = state.get("ramp_step", 0) if type(state.get("ramp_step", 0)) is int else 0
    since = epoch(state["ramp_since"]) if isinstance(state.get("ramp_since"), str) else changed
    base = state.get("ramp_base") if isinstance(state.get("ramp_base"), dict) else None
    if since is None:
        exposures = [r.period for r in rows if r.metric == EXPOSURE and r.flag == flag.key]
        since = float(min(exposures)) if exposures else now
    live = flag.rules[index]
    shares = dict(zip(live.rollout or (), live.ranges, strict=True))
    counts = variant_counts(rows, flag.key, None, None if base is not None else since)
    units = {}
    for variant, (start, end) in shares.items():
        if end > start:
            total = counts[variant].units if variant in counts else 0
            given = base.get(variant, 0) if base is not None else 0
            units[variant] = max(0, total - (given if type(given) is int else 0))
    return step, since, units


def _ramp(
    spec: dict,
    flag: Flag,
    rows: list[StatRow],
    document: dict,
    judgements: dict[str, Judgement] | None,
    changed: float | None,
    now: float,
) -> RampStatus | None:
    for index, rule in enumerate(spec.get("rules", [])):
        ramp = (rule.get("rollout") or {}).get("ramp")
        if not ramp:
            continue
        state = (document.get("state") or {}).get("flags", {}).get(flag.key, {}).get("rules", {}).get(str(index), {})
        step, since, units = ramp_progress(flag, index, state, rows, changed, now)
        action, reason = HOLD, ""
        stopped = (state.get("stopped") or {}).get(ramp["variant"])
        if isinstance(stopped, dict):
            reason = f"stopped at 0% ({stopped.get('reason', 'guardrail')}); `swerve rollback` undoes the stop"
        elif state.get("weights") is not None:
            reason = f"weights set with `swerve set` override the ramp; `swerve set {flag.key} --clear` resumes it"
        else:
            action, _step, reason = decide_ramp(ramp, step, since, now, units, judgements)
        return RampStatus(
            variant=ramp["variant"], step=step, steps=list(ramp["steps"]), since=iso(since), next=action, reason=reason
        )
    return None


def _goal_stats(
    goal: str,
    variants: Sequence[str],
    control: str,
    units: Mapping[str, int],
    totals: Mapping[str, Mapping[str, int]],
    draws: int,
    seed: str,
) -> dict[str, GoalStats]:
    """Conversions, rate, uplift against ``control`` and P(best) of each variant on one goal."""
    metric = CONVERSION + goal
    conversions = {v: totals[v].get(metric, 0) for v in variants}
    # A variant without units yet is no candidate: its flat prior would take a share of P(best).
    seen = [v for v in variants if units[v] > 0]
    best = dict(zip(seen, p_best([(units[v], conversions[v]) for v in seen], draws, seed), strict=True))
    out = {}
    for v in variants:
        rate, rate_ci = _rate_stats(conversions[v], units[v])
        uplift_ci = estimate = None
        if v != control and control in units:
            uplift = relative_uplift(conversions[v], units[v], conversions[control], units[control])
            estimate = uplift.estimate
            if uplift.low is not None and uplift.high is not None:
                uplift_ci = (uplift.low, uplift.high)
        out[v] = GoalStats(
            conversions=conversions[v],
            rate=rate,
            rate_ci=rate_ci,
            uplift=estimate,
            uplift_ci=uplift_ci,
            p_best=best.get(v),
        )
    return out


def _flag_report(
    spec: dict,
    flag: Flag,
    rows: list[StatRow],
    document: dict,
    history: Sequence[Pointer],
    load: Load | None,
    points: Sequence[WeightPoint] | None,
    now: float,
    draws: int,
    seed: int,
) -> FlagReport:
    goals: list[str] = list(spec.get("goals", []))
    goal = goals[0] if goals else None
    control = flag.control
    notes: list[str] = []
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        totals[row.variant][row.metric] += row.count
    adaptive_rows = any(row.context for row in rows)
    # An adaptive flag's split is the policy's, per context: no one weight per variant.
    weights = None if adaptive_rows else _weights_now(flag)
    variants = [v for v in flag.variants if v in totals or (weights is not None and v in weights)]
    unknown = sorted(v for v in totals if v not in flag.variants)
    if unknown:
        notes.append(f"rows for variants no longer in the rules are left out: {', '.join(unknown)}")
    units = {v: totals[v].get(EXPOSURE, 0) for v in variants}
    goal_stats: dict[str, dict[str, GoalStats]] = {v: {} for v in variants}
    for g in goals:
        for v, stats in _goal_stats(g, variants, control, units, totals, draws, f"{seed}/{spec['key']}/{g}").items():
            goal_stats[v][g] = stats
    rails = spec.get("guardrails")
    judgements = None
    if rails:
        judgements = judge(variant_counts(rows, flag.key, goal), control, Guardrails.from_spec(rails))
    specs = {v["key"]: v for v in spec.get("variants", [])}
    reports = {}
    for v in variants:
        primary = goal_stats[v].get(goal) if goal else None
        reports[v] = VariantReport(
            units=units[v],
            conversions={g: s.conversions for g, s in goal_stats[v].items()},
            rate=primary.rate if primary else None,
            rate_ci=primary.rate_ci if primary else None,
            uplift=primary.uplift if primary else None,
            uplift_ci=primary.uplift_ci if primary else None,
            p_best=primary.p_best if primary else None,
            weight=weights.get(v) if weights is not None else None,
            requests=totals[v].get(REQUEST, 0),
            errors=totals[v].get(ERROR, 0),
            goals=goal_stats[v],
            guardrail=_guardrail_status(judgements[v]) if judgements and v in judgements else None,
            selectors=_selector_health(specs.get(v, {}), totals[v]),
        )
    adaptive = None
    if adaptive_rows:
        adaptive = _adaptive(spec, flag, rows, document, goal, points or policy_points(flag.key, history, load), now)
        notes.append(
            "adaptive: the policy moves traffic between arms by context, so the arms' overall rates mix "
            "contexts; compare arms within a context, and the policy against the holdout"
        )
    changed = split_changed_at(flag.key, document, history, load)
    if changed is None and (not history or load is None):
        notes.append("no publishing history given: the SRM test counts every hour")
    srm_p, srm_since, srm_note = _srm(flag, rows, weights, adaptive, changed, now)
    step, series = _series(rows, goal, variants)
    summary = _summary(control, goal, reports, srm_p is not None and srm_p < SRM_ALPHA)
    return FlagReport(
        control=control,
        goals=goals,
        variants=reports,
        srm_p=srm_p,
        srm_flagged=srm_p is not None and srm_p < SRM_ALPHA,
        srm_since=srm_since,
        srm_note=srm_note,
        guardrails=dict(rails) if rails else None,
        ramp=_ramp(spec, flag, rows, document, judgements, changed, now),
        adaptive=adaptive,
        series_step=step,
        series=series,
        summary=summary,
        notes=notes,
    )


def _summary(control: str, goal: str | None, variants: Mapping[str, VariantReport], mismatch: bool) -> list[str]:
    """One sentence per variant against the control, saying what its interval supports."""
    out = []
    if goal is None or control not in variants:
        return out
    for name, v in variants.items():
        if name == control:
            continue
        if v.uplift_ci is None:
            out.append(f"{name}: no units yet to compare with {control}")
            continue
        low, high = v.uplift_ci
        estimate = "" if v.uplift is None else f"{100 * v.uplift:+.1f}% "
        interval = f"{estimate}(95% interval {100 * low:+.1f}% to {100 * high:+.1f}%)"
        if low > 0:
            verdict = f"{name} converts better than {control} on {goal}: {interval}"
        elif high < 0:
            verdict = f"{name} converts worse than {control} on {goal}: {interval}"
        else:
            verdict = f"{name} vs {control} on {goal}: no clear difference yet, {interval}"
        if mismatch:
            verdict += "; unreliable until the sample ratio mismatch is explained"
        out.append(verdict)
    return out


class ReportError(ValueError):
    """A report that cannot be made as asked (an unknown flag)."""


def build_report(
    document: dict,
    rows: Iterable[StatRow],
    history: Sequence[Pointer] = (),
    *,
    load: Load | None = None,
    flags: Sequence[str] | None = None,
    weights_over_time: Mapping[str, Sequence[WeightPoint]] | None = None,
    now: float | None = None,
    draws: int = 10_000,
    seed: int = 0,
) -> Report:
    """The report of ``flags`` (default: every flag with data or a rollout) from the live ``document``.

    ``history`` is the publishing history (``swerve.publish.history_with_pointer``) and
    ``load(version)`` returns a published version's document (or None): with both, the
    SRM test counts only the hours since a flag's split last changed, and adaptive flags
    get their weights over time (or pass ``weights_over_time`` per flag). ``now`` (epoch
    seconds) dates the report and ages ramp steps; ``draws`` and ``seed`` drive the
    Monte Carlo of P(best).
    """
    now = time.time() if now is None else now
    ruleset = load_ruleset(document)
    specs = {spec["key"]: spec for spec in document.get("flags", [])}
    by_flag: dict[str, list[StatRow]] = defaultdict(list)
    for row in rows:
        by_flag[row.flag].append(row)
    if flags:
        missing = [f for f in flags if f not in specs]
        if missing:
            raise ReportError(f"no flag {', '.join(missing)} in the live ruleset (swerve status lists the flags)")
        chosen = [f for f in specs if f in flags]
    else:
        chosen = [k for k, f in ruleset.by_key.items() if k in by_flag or any(r.rollout or r.adapt for r in f.rules)]
    out = {}
    for key in chosen:
        points = (weights_over_time or {}).get(key)
        out[key] = _flag_report(
            specs[key], ruleset.by_key[key], by_flag.get(key, []), document, history, load, points, now, draws, seed
        )
    return Report(generated=iso(now), flags=out)


def to_json(report: Report) -> bytes:
    """``--json``: one object, ``{"generated", "flags": {FLAG: {"variants": {...}, "srm_p", ...}}}``."""
    return msgspec.json.encode(report)
