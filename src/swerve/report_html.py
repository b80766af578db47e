"""``swerve report --html FILE``: the report as one self-contained page, charts drawn as inline SVG.

The page has no scripts, fonts, stylesheets or images to fetch: it opens from a file,
an e-mail attachment or a CI artifact with no network. The charts are a few lines and
shaded bands, so they are written here as SVG rather than with a plotting library: a
library that embeds offline (Plotly, Vega, ECharts) would add hundreds of kilobytes to
every report and a dependency to the CLI, for less control over accessibility.

Accessibility: every chart is an ``<svg role="img">`` with a title and a description,
its axes are labelled, its series are named in a legend that also states each series'
last value, colors come from the Okabe-Ito palette (distinguishable with the common
color vision deficiencies) and lines also differ by dash pattern, and every number a
chart shows is in a table next to it.
"""

import datetime
import html
import math
from collections.abc import Sequence

from swerve_edge.context_weights import nearest

from .report import AdaptiveReport, FlagReport, Point, Report, VariantReport, human
from .report_history import epoch

# Okabe-Ito, without its yellow (too light on white).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4")
# Shown for a missing number.
DASH = "&ndash;"
STATUS_TEXT = {"ok": "ok", "breach": "breach", "pending": "not judged yet", "control": "baseline"}

CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--ink); background: #fff; }
header.top { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top p { margin: 0; color: var(--muted); }
nav.toc { margin-top: 10px; display: flex; flex-wrap: wrap; gap: 8px; }
nav.toc a { text-decoration: none; color: var(--ink); border: 1px solid var(--line); border-radius: 999px;
  padding: 2px 10px; background: #fff; font-size: 13px; }
main { padding: 8px 32px 40px; max-width: 1180px; }
section.flag { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 20px 0; }
section.flag > h2 { margin: 0; font-size: 19px; display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }
.sub { color: var(--muted); margin: 2px 0 10px; }
.badge { font-size: 12px; font-weight: 600; border-radius: 999px; padding: 2px 9px; border: 1px solid; }
.badge.good { color: #1a7f37; border-color: #1a7f37; background: #dafbe1; }
.badge.bad { color: #b42318; border-color: #b42318; background: #ffebe9; }
.badge.wait { color: #7d4e00; border-color: #9a6700; background: #fff8c5; }
.badge.info { color: #0b5394; border-color: #0b5394; background: #ddf4ff; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
td .ci { display: block; color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.status-breach { color: #b42318; font-weight: 600; }
.status-ok { color: #1a7f37; }
.status-pending { color: #7d4e00; }
.callout { border-left: 4px solid; padding: 6px 12px; margin: 8px 0; background: var(--soft); }
.callout.bad { border-color: #b42318; } .callout.good { border-color: #1a7f37; }
.callout.info { border-color: #0b5394; } .callout.wait { border-color: #9a6700; }
figure { margin: 8px 0 4px; } figcaption { color: var(--muted); font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 13px; margin: 4px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(350px, 1fr)); gap: 12px; }
ul.summary { margin: 0 0 8px; padding-left: 20px; }
.grid figure { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; margin: 0; }
h3 { font-size: 15px; margin: 16px 0 4px; }
ul.ops { margin: 4px 0; padding-left: 20px; }
ul.ops code { background: var(--soft); padding: 0 4px; border-radius: 3px; }
details summary { cursor: pointer; color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 13px; padding: 0 32px 24px; }
svg text { font-family: inherit; fill: #3d444d; font-size: 11px; }
svg { max-width: 100%; height: auto; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{100 * value:.{digits}f}%"


def _signed(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:+.1f}%".replace("-", "&minus;")


def _ci(interval: Sequence[float] | None, signed: bool = False) -> str:
    if interval is None:
        return ""
    fmt = _signed if signed else _pct
    return f"{fmt(interval[0])} to {fmt(interval[1])}"


def _when(epoch: float, with_time: bool = True) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%d %b %H:%M" if with_time else "%d %b")


def _stamp(text: str | None) -> str:
    """An ISO time from the report as ``2026-11-22 05:00 UTC``."""
    moment = epoch(text) if text else None
    return human(moment) if moment is not None else (text or "")


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _time_ticks(start: float, end: float, most: int) -> tuple[list[float], bool]:
    """Tick times on whole hours or days, at most ``most``, and whether labels need the hour."""
    span = max(end - start, 3600)
    for step in (3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000):
        if span / step <= most:
            break
    first = math.ceil(start / step) * step
    ticks = [float(t) for t in range(int(first), int(end) + 1, step)]
    return ticks, step < 86400


class _Frame:
    """A plot area: data-to-pixel scales and the axes around it."""

    def __init__(self, width: int, height: int, x0: float, x1: float, y1: float, left: int = 58) -> None:
        self.width, self.height = width, height
        # The right margin leaves room for the last time label, centred on its tick.
        self.left, self.right, self.top, self.bottom = left, 36, 12, 36
        self.x0, self.x1 = x0, x1 if x1 > x0 else x0 + 3600
        self.y1 = y1

    def x(self, t: float) -> float:
        inner = self.width - self.left - self.right
        return round(self.left + (t - self.x0) / (self.x1 - self.x0) * inner, 1)

    def y(self, v: float) -> float:
        inner = self.height - self.top - self.bottom
        return round(self.top + (1 - min(max(v / self.y1, 0), 1.02)) * inner, 1)

    def axes(self, y_label: str, clip_id: str) -> list[str]:
        out = [
            f'<defs><clipPath id="{clip_id}"><rect x="{self.left}" y="{self.top}" '
            f'width="{self.width - self.left - self.right}" height="{self.height - self.top - self.bottom}"/>'
            "</clipPath></defs>"
        ]
        step = _nice_step(self.y1)
        # As many decimals as the step needs (2.5% steps need one), no more.
        digits = next(d for d in range(4) if abs(round(100 * step, d) - 100 * step) < 1e-9)
        v = 0.0
        while v <= self.y1 + 1e-12:
            y = self.y(v)
            label = f"{100 * v:.{digits}f}%"
            out.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{y}" y2="{y}" stroke="#e6e9ec"/>'
                f'<text x="{self.left - 6}" y="{y + 4}" text-anchor="end">{label}</text>'
            )
            v += step
        # A time label takes about 80 pixels; even a small chart gets three.
        ticks, with_time = _time_ticks(self.x0, self.x1, max(3, (self.width - self.left - self.right) // 90))
        base = self.height - self.bottom
        for t in ticks:
            x = self.x(t)
            out.append(
                f'<line x1="{x}" x2="{x}" y1="{base}" y2="{base + 4}" stroke="#8c959f"/>'
                f'<text x="{x}" y="{base + 16}" text-anchor="middle">{_e(_when(t, with_time))}</text>'
            )
        out.append(
            f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{base}" y2="{base}" stroke="#8c959f"/>'
            f'<text x="{self.left + (self.width - self.left - self.right) / 2}" y="{self.height - 4}" '
            'text-anchor="middle">time (UTC)</text>'
            f'<text transform="translate(12 {self.top + (base - self.top) / 2}) rotate(-90)" '
            f'text-anchor="middle">{_e(y_label)}</text>'
        )
        return out


def _rate_chart(key: str, flag: FlagReport, variants: list[str]) -> str:
    series = {v: flag.series[v] for v in variants if v in flag.series}
    if not series:
        return '<p class="sub">No conversions over time to chart yet.</p>'
    goal = flag.goals[0]
    points = [p for pts in series.values() for p in pts]
    x0 = min(p.time for p in points) - (3600 if flag.series_step == "hour" else 86400)
    x1 = max(p.time for p in points)
    # Early points rest on a handful of units: their intervals would flatten everything else.
    settled = [p.high for p in points if p.units >= max(30, max(q.units for q in points) // 10)]
    top = max(settled or [p.high for p in points])
    frame = _Frame(1040, 300, x0, x1, _nice_step(top) * math.ceil(top / _nice_step(top)))
    clip = f"clip-{_slug(key)}"
    parts = frame.axes(f"cumulative {goal} rate", clip)
    body = []
    for i, (variant, pts) in enumerate(series.items()):
        color = _color(variants.index(variant))
        band = [f"{frame.x(p.time)},{frame.y(p.high)}" for p in pts]
        band += [f"{frame.x(p.time)},{frame.y(p.low)}" for p in reversed(pts)]
        line = " ".join(f"{'M' if j == 0 else 'L'}{frame.x(p.time)},{frame.y(p.rate)}" for j, p in enumerate(pts))
        dash = f' stroke-dasharray="{DASHES[i % len(DASHES)]}"' if DASHES[i % len(DASHES)] else ""
        body.append(f'<polygon points="{" ".join(band)}" fill="{color}" fill-opacity="0.14" stroke="none"/>')
        body.append(
            f'<path d="{line}" fill="none" stroke="{color}" stroke-width="2.2"{dash} data-variant="{_e(variant)}"/>'
        )
        last = pts[-1]
        body.append(
            f'<circle cx="{frame.x(last.time)}" cy="{frame.y(last.rate)}" r="3.5" fill="{color}">'
            f"<title>{_e(variant)}: {_pct(last.rate)} ({last.conversions:,} of {last.units:,}), "
            f"95% interval {_ci((last.low, last.high))}</title></circle>"
        )
    parts.append(f'<g clip-path="url(#{clip})">{"".join(body)}</g>')
    legend = "".join(
        f'<span><span class="swatch" style="background:{_color(variants.index(v))}"></span>'
        f"<strong>{_e(v)}</strong> {_pct(pts[-1].rate)} ({_ci((pts[-1].low, pts[-1].high))})</span>"
        for v, pts in series.items()
    )
    title = f"{key}: cumulative {goal} rate per variant with 95% interval"
    desc = "; ".join(
        f"{v} from {_pct(pts[0].rate)} to {_pct(pts[-1].rate)} over {len(pts)} {flag.series_step}s"
        for v, pts in series.items()
    )
    return (
        f'<figure><div class="legend" aria-hidden="true">{legend}</div>'
        f'<svg viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" height="{frame.height}" role="img" '
        f'aria-labelledby="{clip}-t {clip}-d"><title id="{clip}-t">{_e(title)}</title>'
        f'<desc id="{clip}-d">{_e(desc)}</desc>{"".join(parts)}</svg>'
        f"<figcaption>Cumulative rate at the end of each {flag.series_step} (line) and its 95% Wilson interval "
        "(band). Bands narrow as units accumulate; overlapping bands mean the difference may be noise.</figcaption>"
        f"{_series_table(series, flag.series_step)}</figure>"
    )


def _series_table(series: dict[str, list[Point]], step: str) -> str:
    rows = "".join(
        f"<tr><td>{_e(v)}</td><td>{_e(_when(p.time))}</td><td>{p.units:,}</td><td>{p.conversions:,}</td>"
        f"<td>{_pct(p.rate)}</td><td>{_ci((p.low, p.high))}</td></tr>"
        for v, pts in series.items()
        for p in pts
    )
    return (
        f"<details><summary>The chart's numbers, per {step}</summary><table><thead><tr><th>variant</th>"
        "<th>until</th><th>units</th><th>conversions</th><th>rate</th><th>95% interval</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _variant_cells(name: str, v: VariantReport, flag: FlagReport, color: str) -> dict[str, str | None]:
    """The cells of one variant's row by field; None where the flag has nothing to show."""
    goal = flag.goals[0] if flag.goals else None
    guard = None
    if v.guardrail is not None:
        status = v.guardrail.status
        label = _e(STATUS_TEXT.get(status, status))
        guard = f'<span class="status-{_e(status)}" title="{_e(v.guardrail.reason)}">{label}</span>'
    uplift = None
    if goal:
        uplift = (
            "baseline"
            if name == flag.control
            else f'{_signed(v.uplift)}<span class="ci">{_ci(v.uplift_ci, signed=True)}</span>'
        )
    return {
        "variant": f'<span class="swatch" style="background:{color}"></span>{_e(name)}',
        "weight": None if v.weight is None else f"{v.weight:g}%",
        "units": f"{v.units:,}",
        "conversions": f"{v.conversions.get(goal, 0):,}" if goal else None,
        "rate": f'{_pct(v.rate)}<span class="ci">{_ci(v.rate_ci)}</span>' if goal else None,
        "uplift": uplift,
        "p_best": _pct(v.p_best, 1) if goal else None,
        "errors": f"{_pct(v.errors / v.requests)}<span class='ci'>of {v.requests:,}</span>" if v.requests else None,
        "guardrail": guard,
    }


def _variant_table(flag: FlagReport) -> str:
    """The variants' table, without the columns no variant of this flag has a value for."""
    goal = flag.goals[0] if flag.goals else "conversions"
    headers = {
        "variant": "variant",
        "weight": "weight",
        "units": "units",
        "conversions": _e(goal),
        "rate": "rate (95% CI)",
        "uplift": "uplift (95% CI)",
        "p_best": "P(best)",
        "errors": "5xx",
        "guardrail": "guardrails",
    }
    rows = {n: _variant_cells(n, v, flag, _color(i)) for i, (n, v) in enumerate(flag.variants.items())}
    fields = [f for f in headers if any(cells[f] is not None for cells in rows.values())]
    head = "".join(f"<th>{headers[f]}</th>" for f in fields)
    body = "".join(
        f'<tr data-variant="{_e(n)}">'
        + "".join(f'<td data-field="{f}">{cells[f] if cells[f] is not None else DASH}</td>' for f in fields)
        + "</tr>"
        for n, cells in rows.items()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _badges(flag: FlagReport) -> str:
    out = []
    if flag.srm_flagged:
        out.append('<span class="badge bad">sample ratio mismatch</span>')
    breaches = [n for n, v in flag.variants.items() if v.guardrail and v.guardrail.status == "breach"]
    if breaches:
        out.append(f'<span class="badge bad">guardrail breached: {_e(", ".join(breaches))}</span>')
    if flag.ramp:
        out.append(
            f'<span class="badge info">ramp {flag.ramp.step + 1}/{len(flag.ramp.steps)} · '
            f"{flag.ramp.steps[flag.ramp.step]:g}%</span>"
        )
    if flag.adaptive:
        out.append('<span class="badge info">adaptive</span>')
    broken = [
        n for n, v in flag.variants.items() if v.selectors and any("never" in o.status for o in v.selectors.operations)
    ]
    if broken:
        out.append(f'<span class="badge wait">selector never matches: {_e(", ".join(broken))}</span>')
    return "".join(out)


def _flag_section(key: str, flag: FlagReport) -> str:
    variants = list(flag.variants)
    goal = flag.goals[0] if flag.goals else None
    sub = f"control <strong>{_e(flag.control)}</strong>"
    sub += f" · goal <strong>{_e(goal)}</strong>" if goal else " · no goals: units and guardrails only"
    if len(flag.goals) > 1:
        sub += f" (also {_e(', '.join(flag.goals[1:]))})"
    total = sum(v.units for v in flag.variants.values())
    sub += f" · {total:,} units"
    out = [
        f'<section class="flag" id="flag-{_slug(key)}" data-flag="{_e(key)}"><h2>{_e(key)} {_badges(flag)}</h2>',
        f'<p class="sub">{sub}</p>',
    ]
    if not flag.variants:
        out.append("<p>No data yet.</p></section>")
        return "".join(out)
    out.append(_variant_table(flag))
    if flag.summary:
        items = "".join(f"<li>{_e(sentence)}</li>" for sentence in flag.summary)
        out.append(f'<ul class="summary" data-field="summary">{items}</ul>')
    for g in flag.goals[1:]:
        parts = ", ".join(
            f"{_e(n)} {_pct(v.goals[g].rate)} ({v.goals[g].conversions:,})" for n, v in flag.variants.items()
        )
        out.append(f'<p class="sub">{_e(g)}: {parts}</p>')
    out.append(_srm_callout(flag))
    for name, v in flag.variants.items():
        if v.guardrail and v.guardrail.status == "breach":
            out.append(f'<div class="callout bad"><strong>{_e(name)}</strong>: {_e(v.guardrail.reason)}</div>')
    if flag.ramp:
        r = flag.ramp
        kind = {"advance": "good", "stop": "bad"}.get(r.next, "wait")
        out.append(
            f'<div class="callout {kind}">Ramp of <strong>{_e(r.variant)}</strong>: step {r.step + 1} of '
            f"{len(r.steps)} ({r.steps[r.step]:g}%) since {_e(_stamp(r.since))}. Next <code>swerve advance</code>: "
            f"<strong>{_e(r.next)}</strong>, {_e(r.reason)}.</div>"
        )
    if goal:
        out.append(_rate_chart(key, flag, variants))
    out.append(_selectors(flag))
    if flag.adaptive:
        out.append(_adaptive_section(key, flag.adaptive))
    out += [f'<p class="sub">Note: {_e(n)}</p>' for n in flag.notes]
    out.append("</section>")
    return "".join(out)


def _srm_callout(flag: FlagReport) -> str:
    if flag.srm_p is None:
        return f'<div class="callout info" data-field="srm">Sample ratio: {_e(flag.srm_note)}.</div>'
    if flag.srm_flagged:
        return (
            f'<div class="callout bad" data-field="srm">Sample ratio mismatch: p = '
            f'<span data-field="srm_p">{flag.srm_p:.3g}</span> ({_e(flag.srm_note)}). The split is not what '
            "the rules say (lost redirects, bots, a bucketing bug): do not trust this comparison until it is "
            "explained.</div>"
        )
    return (
        f'<div class="callout good" data-field="srm">Sample ratio as configured: p = '
        f'<span data-field="srm_p">{flag.srm_p:.3g}</span> ({_e(flag.srm_note)}).</div>'
    )


def _selectors(flag: FlagReport) -> str:
    out = []
    for name, v in flag.variants.items():
        if v.selectors is None:
            continue
        items = "".join(
            f'<li class="{"status-breach" if "never" in op.status else ""}"><code>{_e(op.action)}</code> on '
            f"<code>{_e(op.selector)}</code>: {_e(op.status)}</li>"
            for op in v.selectors.operations
        )
        out.append(
            f"<h3>Selector health of {_e(name)}</h3><p class='sub'>{v.selectors.pages:,} rewritten pages checked</p>"
            f'<ul class="ops">{items}</ul>'
        )
    return "".join(out)


def _adaptive_section(key: str, adaptive: AdaptiveReport) -> str:
    p = adaptive.policy
    kind = "good" if p.uplift_ci and p.uplift_ci[0] > 0 else "info"
    out = [
        "<h3>Adaptive policy</h3>",
        f'<div class="callout {kind}" data-field="policy">The policy\'s visitors convert on {_e(adaptive.goal)} at '
        f"<strong>{_pct(p.policy_rate)}</strong> ({p.policy_conversions:,} of {p.policy_units:,}), the holdout's "
        f"(uniformly random arm) at <strong>{_pct(p.holdout_rate)}</strong> ({p.holdout_conversions:,} of "
        f"{p.holdout_units:,}): uplift <strong data-field='policy_uplift'>{_signed(p.uplift)}</strong>, "
        f"95% interval {_ci(p.uplift_ci, signed=True)}.</div>",
    ]
    head = "<th>context</th><th>units</th><th>weights of</th>"
    head += "".join(f"<th>{_e(a)}<br>rate · weight</th>" for a in adaptive.arms) + "<th>policy vs holdout</th>"
    rows = []
    for context, c in adaptive.contexts.items():
        words = adaptive.labels.get(context, "")
        label = f'<span class="ci">{_e(words)}</span>' if words else ""
        cells = [f"<td>{_e(context)}{label}</td><td>{c.units:,}</td><td>{_e(c.weights_from or 'equal split')}</td>"]
        best = max(adaptive.arms, key=lambda a: c.arms[a].weight)
        for arm in adaptive.arms:
            a = c.arms[arm]
            strong = ' style="font-weight:600"' if arm == best else ""
            cells.append(
                f'<td data-arm="{_e(arm)}"{strong}>{_pct(a.rate)} · {a.weight:.1f}%'
                f'<span class="ci">{a.conversions:,} of {a.units:,}</span></td>'
            )
        cells.append(
            f'<td>{_signed(c.policy.uplift)}<span class="ci">{_ci(c.policy.uplift_ci, signed=True)}</span></td>'
        )
        rows.append(f'<tr data-context="{_e(context)}">{"".join(cells)}</tr>')
    out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    out.append(_weights_charts(key, adaptive))
    return "".join(out)


def _weights_charts(key: str, adaptive: AdaptiveReport) -> str:
    points = adaptive.weights_over_time
    if not points:
        return '<p class="sub">No published weights yet: every context gets an equal split.</p>'
    arms = adaptive.arms
    start = points[0].time
    end = max(adaptive.until, points[-1].time + 3600)
    shown = list(adaptive.contexts)[:8]
    if shown:
        # Everyone else: contexts without weights of their own fall back towards the global one.
        shown.append(".".join("*" for _ in shown[0].split(".")) if shown[0] else "")
    legend = "".join(
        f'<span><span class="swatch" style="background:{_color(i)}"></span>{_e(a)}</span>' for i, a in enumerate(arms)
    )
    figures = []
    for context in shown:
        frame = _Frame(330, 180, start, end, 1.0)
        clip = f"w-{_slug(key)}-{_slug(context)}"
        parts = frame.axes("weight", clip)
        steps = [(p.time, nearest(p.contexts, len(arms), context)[1]) for p in points]
        steps.append((end, steps[-1][1]))
        bands = []
        lower = [0.0] * len(steps)
        for i, _arm in enumerate(arms):
            upper = [lower[j] + steps[j][1][i] / 100 for j in range(len(steps))]
            top = []
            bottom = []
            for j in range(len(steps) - 1):
                x_a, x_b = frame.x(steps[j][0]), frame.x(steps[j + 1][0])
                top += [f"{x_a},{frame.y(upper[j])}", f"{x_b},{frame.y(upper[j])}"]
                bottom += [f"{x_a},{frame.y(lower[j])}", f"{x_b},{frame.y(lower[j])}"]
            bands.append(
                f'<polygon points="{" ".join(top + bottom[::-1])}" fill="{_color(i)}" fill-opacity="0.85" '
                'stroke="#fff" stroke-width="0.5"/>'
            )
            lower = upper
        parts.append(f'<g clip-path="url(#{clip})">{"".join(bands)}</g>')
        now = ", ".join(f"{a} {w:.1f}%" for a, w in zip(arms, steps[-1][1], strict=True))
        title = f"{key} context {context}: weights per arm over time"
        words = f" ({_e(adaptive.labels[context])})" if adaptive.labels.get(context) else ""
        figures.append(
            f'<figure><svg viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" height="{frame.height}" '
            f'role="img" aria-labelledby="{clip}-t {clip}-d"><title id="{clip}-t">{_e(title)}</title>'
            f'<desc id="{clip}-d">{len(points)} published policies; now {_e(now)}</desc>{"".join(parts)}</svg>'
            f"<figcaption><strong>{_e(context)}</strong>{words}: now {_e(now)}</figcaption></figure>"
        )
    return (
        f'<h3>Weights over time</h3><div class="legend">{legend}</div>'
        "<p class='sub'>Share of new visitors each arm gets in a context, as published by <code>swerve learn</code> "
        "(a context without weights of its own follows its nearest ancestor).</p>"
        f'<div class="grid">{"".join(figures)}</div>'
    )


def render_html(report: Report) -> str:
    """The whole report as one HTML document with nothing to fetch."""
    toc = "".join(f'<a href="#flag-{_slug(k)}">{_e(k)}</a>' for k in report.flags)
    sections = "".join(_flag_section(k, f) for k, f in report.flags.items()) or "<p>No flags with data or rollouts.</p>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Swerve report · {_e(report.generated)}</title><style>{CSS}</style></head><body>"
        f'<header class="top"><h1>Swerve outcome report</h1><p>Generated {_e(_stamp(report.generated))} · '
        f"{len(report.flags)} flag(s) · units are visitors, counted once per variant</p>"
        f'<nav class="toc" aria-label="Flags">{toc}</nav></header>'
        f"<main>{sections}</main>"
        "<footer>Rates with 95% Wilson intervals; uplift against the control with a 95% interval from the delta "
        "method on the log of the rate ratio; P(best) by Monte Carlo over Beta posteriors; sample ratio checked by "
        "a chi-square test, flagged below p = 0.001.</footer></body></html>"
    )
