"""``swerve report`` for people: one block of text per flag (``swerve.report`` builds the numbers)."""

from collections.abc import Sequence

from .report import AdaptiveReport, FlagReport, Report, human
from .report_history import epoch


def _percent(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}%"


def _ci(interval: Sequence[float] | None, signed: bool = False) -> str:
    if interval is None:
        return ""
    if signed:
        return f"[{_signed(interval[0])}, {_signed(interval[1])}]"
    return f"[{_percent(interval[0])}, {_percent(interval[1])}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    return [line(header), *(line(r) for r in rows)]


def render_text(report: Report) -> str:
    """The report for people, one block per flag."""
    if not report.flags:
        return "no flags with data or rollouts"
    blocks = [_flag_text(key, flag) for key, flag in report.flags.items()]
    return (
        "\n\n".join(blocks)
        + f"\n\n(generated {report.generated}; 95% intervals: Wilson for rates, delta method for uplift)"
    )


def _flag_text(key: str, flag: FlagReport) -> str:
    goal = flag.goals[0] if flag.goals else None
    head = f"{key}   control: {flag.control}"
    head += f"   goal: {goal}" if goal else "   no goals: units and guardrails only"
    if len(flag.goals) > 1:
        head += f" (also {', '.join(flag.goals[1:])})"
    lines = [head]
    if not flag.variants:
        lines.append("  no data yet")
    rows = []
    for name, v in flag.variants.items():
        uplift = "baseline" if name == flag.control else f"{_signed(v.uplift)} {_ci(v.uplift_ci, signed=True)}".strip()
        status = v.guardrail.status if v.guardrail else ""
        rows.append(
            [
                name,
                "-" if v.weight is None else f"{v.weight:g}%",
                f"{v.units:,}",
                f"{v.conversions.get(goal, 0):,}" if goal else "-",
                f"{_percent(v.rate)} {_ci(v.rate_ci)}".strip(),
                uplift if goal else "-",
                _percent(v.p_best, 1),
                f"{_percent(v.errors / v.requests)} of {v.requests:,}" if v.requests else "-",
                status,
            ]
        )
    if rows:
        header = ["variant", "weight", "units", goal or "conversions", "rate [95% CI]", "uplift [95% CI]"]
        header += ["P(best)", "5xx", "guardrails"]
        lines += ["  " + line for line in _table(header, rows)]
    lines += [f"  => {sentence}" for sentence in flag.summary]
    for g in flag.goals[1:]:
        parts = [f"{n} {_percent(v.goals[g].rate)} ({v.goals[g].conversions:,})" for n, v in flag.variants.items()]
        lines.append(f"  {g}: " + ", ".join(parts))
    if flag.srm_p is not None:
        mark = (
            "  MISMATCH: the split is not what the rules say; do not trust the comparison" if flag.srm_flagged else ""
        )
        lines.append(f"  SRM p = {flag.srm_p:.4g} ({flag.srm_note}){mark}")
    else:
        lines.append(f"  SRM: {flag.srm_note}")
    for name, v in flag.variants.items():
        if v.guardrail and v.guardrail.status not in ("ok", "control"):
            lines.append(f"  guardrails, {name}: {v.guardrail.status}: {v.guardrail.reason}")
    if flag.ramp:
        r = flag.ramp
        lines.append(
            f"  ramp of {r.variant}: step {r.step + 1} of {len(r.steps)} ({r.steps[r.step]:g}%) since "
            f"{human(epoch(r.since) or 0) if r.since else 'unknown'}; "
            f"next `swerve advance`: {r.next} ({r.reason})"
        )
    for name, v in flag.variants.items():
        if v.selectors is None:
            continue
        lines.append(f"  selectors of {name}: {v.selectors.pages:,} pages checked")
        for op in v.selectors.operations:
            lines.append(f"    {op.index + 1}. {op.action} {op.selector!r}: {op.status}")
    if flag.adaptive:
        lines += _adaptive_text(flag.adaptive)
    lines += [f"  note: {n}" for n in flag.notes]
    return "\n".join(lines)


def _adaptive_text(adaptive: AdaptiveReport) -> list[str]:
    p = adaptive.policy
    lines = [
        f"  policy vs holdout on {adaptive.goal}: {_percent(p.policy_rate)} of {p.policy_units:,} vs "
        f"{_percent(p.holdout_rate)} of {p.holdout_units:,}; uplift {_signed(p.uplift)} {_ci(p.uplift_ci, signed=True)}"
    ]
    rows = []
    for key, context in adaptive.contexts.items():
        cells = [key, f"{context.units:,}", context.weights_from or "equal split"]
        for arm in adaptive.arms:
            a = context.arms[arm]
            cells.append(f"{_percent(a.rate)} of {a.units:,}, {a.weight:g}%")
        cells.append(f"{_signed(context.policy.uplift)} {_ci(context.policy.uplift_ci, signed=True)}")
        rows.append(cells)
    if rows:
        header = ["context", "units", "weights of", *(f"{arm}: rate of units, weight" for arm in adaptive.arms)]
        header.append("policy vs holdout")
        lines += ["  " + line for line in _table(header, rows)]
        lines += [f"  context {key}: {words}" for key, words in adaptive.labels.items() if key in adaptive.contexts]
    return lines
