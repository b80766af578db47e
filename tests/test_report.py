"""``swerve.report``: the report's numbers against the rows they come from, and its renderers."""

import itertools
import json
import re

import msgspec
import pytest
from conftest import FIXTURES
from report_fixture import ARMS, LEARN_TIMES, NOW, OFFER_RATES, RAMP_CHANGE, T0, Fixture, totals

from swerve.build import compiled_from_sources
from swerve.live_state import rehashed
from swerve.publish import Pointer
from swerve.report import (
    Report,
    ReportError,
    build_report,
    iso,
    to_json,
    variant_counts,
)
from swerve.report_history import split_changed_at
from swerve.report_html import render_html
from swerve.report_text import render_text
from swerve.stat_rows import StatRow, decode_rows
from swerve_edge.guardrails import VariantCounts
from swerve_edge.stats import relative_uplift, srm_p_value, wilson


@pytest.fixture(scope="module")
def fixture() -> Fixture:
    return Fixture()


@pytest.fixture(scope="module")
def report(fixture: Fixture) -> Report:
    return build_report(fixture.document, fixture.rows, fixture.history, load=fixture.load, now=NOW)


def test_json_is_one_object_of_flags_variants_and_srm(report: Report) -> None:
    data = json.loads(to_json(report))
    assert set(data["flags"]) == {"hero", "layout", "offer"}
    outcome = data["flags"]["hero"]["variants"]["outcome"]
    assert {"units", "conversions", "rate", "rate_ci", "uplift", "uplift_ci", "p_best"} <= set(outcome)
    assert isinstance(outcome["rate_ci"], list) and len(outcome["rate_ci"]) == 2
    assert set(outcome["conversions"]) == {"signup", "cta_click"}
    assert 0 < data["flags"]["hero"]["srm_p"] <= 1
    assert data["flags"]["hero"]["variants"]["control"]["uplift"] is None  # the baseline


@pytest.mark.parametrize(
    ("flag", "control", "variant"), [("hero", "control", "outcome"), ("layout", "classic", "cards")]
)
def test_variant_numbers_are_the_rows_sums(
    report: Report, fixture: Fixture, flag: str, control: str, variant: str
) -> None:
    rows = fixture.rows
    got = report.flags[flag].variants[variant]
    units = totals(rows, flag, variant, "exposure")
    conversions = totals(rows, flag, variant, "conversion:signup")
    assert (got.units, got.conversions["signup"]) == (units, conversions)
    assert got.rate == conversions / units
    assert got.rate_ci == tuple(wilson(conversions, units))
    base_units = totals(rows, flag, control, "exposure")
    base_conversions = totals(rows, flag, control, "conversion:signup")
    uplift = relative_uplift(conversions, units, base_conversions, base_units)
    assert got.uplift == pytest.approx(uplift.estimate) and got.uplift_ci == (uplift.low, uplift.high)
    assert got.requests == totals(rows, flag, variant, "request")
    assert got.errors == totals(rows, flag, variant, "error")
    p_bests = [v.p_best for v in report.flags[flag].variants.values()]
    assert sum(p_bests) == pytest.approx(1.0)


def test_the_srm_test_counts_only_hours_since_the_split_last_changed(report: Report, fixture: Fixture) -> None:
    hero = report.flags["hero"]
    since = [totals(fixture.rows, "hero", v, "exposure", since=RAMP_CHANGE) for v in ("control", "outcome")]
    assert hero.srm_p == pytest.approx(srm_p_value(since, [75, 25]))
    assert not hero.srm_flagged
    assert hero.srm_since == iso(RAMP_CHANGE) and "2026-11-20 20:00 UTC" in hero.srm_note
    # Counting every hour would compare the 10% step's units with the 25% step's split: a false alarm.
    everything = [totals(fixture.rows, "hero", v, "exposure") for v in ("control", "outcome")]
    assert srm_p_value(everything, [75, 25]) < 0.001


def test_a_variant_that_loses_visitors_is_a_sample_ratio_mismatch(report: Report) -> None:
    layout = report.flags["layout"]
    assert layout.srm_flagged and layout.srm_p < 0.001
    assert layout.srm_since is None and "all units" in layout.srm_note  # its split never changed
    assert any("unreliable until the sample ratio mismatch" in s for s in layout.summary)


def test_without_history_every_hour_counts_and_the_report_says_so(fixture: Fixture) -> None:
    bare = build_report(fixture.document, fixture.rows, now=NOW, flags=["hero"])
    assert bare.flags["hero"].srm_since is None
    assert any("no publishing history" in n for n in bare.flags["hero"].notes)


def _pointer(version: int, when: int, action: str = "push") -> Pointer:
    return Pointer(version=version, hash=f"sha256:{version}", time=iso(when), action=action)


def test_only_a_change_of_the_split_restarts_the_srm_window() -> None:
    base = compiled_from_sources([str(FIXTURES / "report_rules")])
    versions = {
        1: base,
        2: rehashed(base, {"flags": {"hero": {"killed": True}}}),
        3: base,
        4: rehashed(base, {"flags": {"layout": {"rules": {"0": {"weights": {"classic": 80, "cards": 20}}}}}}),
    }
    history = [_pointer(1, T0), _pointer(2, T0 + 3600, "kill"), _pointer(3, T0 + 7200, "unkill")]
    history.append(_pointer(4, T0 + 10800, "set"))
    assert split_changed_at("hero", versions[4], history, versions.get) == T0 + 7200
    assert split_changed_at("layout", versions[4], history, versions.get) == T0 + 10800
    assert split_changed_at("offer", versions[4], history, versions.get) is None
    assert split_changed_at("hero", versions[4], history, None) is None
    # A rollback to an older split is a change too.
    history.append(_pointer(1, T0 + 14400, "rollback"))
    assert split_changed_at("layout", versions[1], history, versions.get) == T0 + 14400


def test_the_srm_test_waits_for_a_full_hour_after_a_change() -> None:
    base = compiled_from_sources([str(FIXTURES / "report_rules")])
    moved = rehashed(base, {"flags": {"layout": {"rules": {"0": {"weights": {"classic": 80, "cards": 20}}}}}})
    versions = {1: base, 2: moved}
    history = [_pointer(1, T0), _pointer(2, T0 + 4800, "set")]
    rows = [StatRow("layout", v, "", T0 + 3600, "exposure", 500) for v in ("classic", "cards")]
    fresh = build_report(moved, rows, history, load=versions.get, now=T0 + 6000, flags=["layout"])
    layout = fresh.flags["layout"]
    assert layout.srm_p is None and layout.srm_note.startswith("not tested: no full hour yet")
    later = build_report(moved, rows, history, load=versions.get, now=T0 + 9000, flags=["layout"])
    assert later.flags["layout"].srm_p is None and "no units yet" in later.flags["layout"].srm_note


def test_guardrails_ramp_and_selector_health(report: Report, fixture: Fixture) -> None:
    cards = report.flags["layout"].variants["cards"].guardrail
    assert cards is not None and cards.status == "breach"
    assert cards.error_rate == totals(fixture.rows, "layout", "cards", "error") / totals(
        fixture.rows, "layout", "cards", "request"
    )
    assert "above the maximum 5%" in cards.breaches[0]
    hero = report.flags["hero"]
    assert hero.variants["outcome"].guardrail.status == "ok"
    assert hero.variants["control"].guardrail.status == "control"
    assert hero.ramp is not None
    assert (hero.ramp.step, hero.ramp.next, hero.ramp.since) == (1, "advance", iso(RAMP_CHANGE))
    health = hero.variants["outcome"].selectors
    assert health is not None and health.pages == totals(fixture.rows, "hero", "outcome", "page")
    first, second = health.operations
    assert (first.selector, first.misses, first.status) == ("h1.hero-title", 0, "matched on every page")
    assert second.selector == ".hero-subtitle-old" and second.misses == health.pages
    assert second.status.startswith("never matched")
    assert hero.variants["control"].selectors is None  # no operations


def test_a_stopped_or_overridden_ramp_holds(fixture: Fixture) -> None:
    ramp = fixture.document["flags"][0]["rules"][0]["rollout"]["ramp"]
    stopped = {"ramp_step": 1, "ramp": ramp, "stopped": {"outcome": {"reason": "max_error_rate", "at": iso(T0)}}}
    overridden = {"ramp_step": 1, "ramp": ramp, "weights": {"control": 60, "outcome": 40}}
    for state, says in ((stopped, "stopped at 0% (max_error_rate)"), (overridden, "swerve set hero --clear")):
        document = rehashed(fixture.document, {"flags": {"hero": {"rules": {"0": state}}}})
        ramp_status = build_report(document, fixture.rows, now=NOW, flags=["hero"], draws=200).flags["hero"].ramp
        assert ramp_status is not None and ramp_status.next == "hold" and says in ramp_status.reason


def test_adaptive_flags_report_contexts_policy_and_weights_over_time(report: Report, fixture: Fixture) -> None:
    offer = report.flags["offer"]
    adaptive = offer.adaptive
    assert adaptive is not None and adaptive.arms == ARMS and adaptive.goal == "signup"
    assert set(adaptive.contexts) == set(OFFER_RATES)
    live = fixture.document["state"]["flags"]["offer"]["rules"]["0"]["policy"]["contexts"]
    for key, context in adaptive.contexts.items():
        assert context.weights_from == key
        assert [context.arms[a].weight for a in ARMS] == live[key]
        units = sum(
            r.count for r in fixture.rows if r.flag == "offer" and r.metric == "exposure" and r.context.endswith(key)
        )
        assert context.units == units
    holdout = [r for r in fixture.rows if r.flag == "offer" and r.context.startswith("holdout:")]
    policy = [r for r in fixture.rows if r.flag == "offer" and r.context and not r.context.startswith("holdout:")]
    p = adaptive.policy
    assert p.holdout_units == sum(r.count for r in holdout if r.metric == "exposure")
    assert p.policy_conversions == sum(r.count for r in policy if r.metric == "conversion:signup")
    uplift = relative_uplift(p.policy_conversions, p.policy_units, p.holdout_conversions, p.holdout_units)
    assert (p.uplift, p.uplift_ci) == (uplift.estimate, (uplift.low, uplift.high))
    assert [point.time for point in adaptive.weights_over_time] == [T0, *LEARN_TIMES]
    assert adaptive.weights_over_time[0].contexts == {} and adaptive.weights_over_time[-1].contexts == live
    # The holdout's arms are uniform: that is the split its SRM test checks.
    held = [sum(r.count for r in holdout if r.metric == "exposure" and r.variant == a) for a in ARMS]
    assert offer.srm_p == pytest.approx(srm_p_value(held, [1, 1, 1]))
    assert all(v.weight is None for v in offer.variants.values())  # no single split to show
    # Contexts in words, from the live rule's features (sessions edges [2, 4], device [mobile]).
    assert adaptive.labels["0.1"] == "behavior.sessions: below 2, request.device: other"
    assert adaptive.labels["2.0"] == "behavior.sessions: 4 or more, request.device: 'mobile'"
    assert adaptive.labels["*.*"] == "everyone"
    assert set(adaptive.labels) == {*OFFER_RATES, "*.*"}


def test_the_report_is_deterministic(fixture: Fixture, report: Report) -> None:
    again = build_report(fixture.document, list(reversed(fixture.rows)), fixture.history, load=fixture.load, now=NOW)
    assert to_json(again) == to_json(report)


def test_hand_computed_flag() -> None:
    base = compiled_from_sources([str(FIXTURES / "report_rules")])
    rows = [
        StatRow("layout", "classic", "", T0, "exposure", 1000),
        StatRow("layout", "classic", "", T0, "conversion:signup", 50),
        StatRow("layout", "cards", "", T0, "exposure", 1000),
        StatRow("layout", "cards", "", T0, "conversion:signup", 60),
        StatRow("layout", "retired", "", T0, "exposure", 7),
    ]
    cards = build_report(base, rows, now=T0 + 7200, flags=["layout"]).flags["layout"]
    # 60/1000 vs 50/1000: rate 6%, Wilson center 6.168% and half-width 1.479%: [4.690%, 7.647%];
    # uplift +20%, 95% interval -16.69% to +72.85% (see test_stats.test_uplift_by_hand).
    v = cards.variants["cards"]
    assert v.rate == 0.06 and v.rate_ci == pytest.approx((0.04690, 0.07647), abs=5e-5)
    assert v.uplift == pytest.approx(0.2) and v.uplift_ci == pytest.approx((-0.16690, 0.72849), abs=5e-5)
    assert cards.srm_p == 1.0 and not cards.srm_flagged
    assert "retired" not in cards.variants and any("retired" in n for n in cards.notes)
    assert cards.summary == [
        "cards vs classic on signup: no clear difference yet, +20.0% (95% interval -16.7% to +72.8%)"
    ]


def test_flags_filter_and_unknown_flags(fixture: Fixture) -> None:
    only = build_report(fixture.document, fixture.rows, now=NOW, flags=["layout"], draws=500)
    assert list(only.flags) == ["layout"]
    with pytest.raises(ReportError, match="no flag nope in the live ruleset"):
        build_report(fixture.document, fixture.rows, flags=["nope"])


def test_variant_counts_for_advance(fixture: Fixture) -> None:
    def expected(start: int) -> VariantCounts:
        return VariantCounts(
            totals(fixture.rows, "hero", "outcome", "exposure", start),
            totals(fixture.rows, "hero", "outcome", "request", start),
            totals(fixture.rows, "hero", "outcome", "error", start),
            totals(fixture.rows, "hero", "outcome", "conversion:signup", start),
        )

    # From the hour holding ``since`` (a ramp's units), or from the first whole hour after it.
    assert variant_counts(fixture.rows, "hero", "signup", since=RAMP_CHANGE + 1)["outcome"] == expected(RAMP_CHANGE)
    whole = variant_counts(fixture.rows, "hero", "signup", since=RAMP_CHANGE + 1, whole_hours=True)
    assert whole["outcome"] == expected(RAMP_CHANGE + 3600)
    assert variant_counts(fixture.rows, "hero", "signup")["outcome"] == expected(0)


def test_text_report(report: Report) -> None:
    text = render_text(report)
    assert "hero   control: control   goal: signup (also cta_click)" in text
    assert "SRM p = " in text and "MISMATCH" in text
    assert "guardrails, cards: breach: error share" in text
    assert "next `swerve advance`: advance" in text
    assert "2. set_text '.hero-subtitle-old': never matched" in text
    assert "policy vs holdout on signup" in text
    for key in OFFER_RATES:
        assert f"\n  {key} " in text


def test_html_escapes_what_it_shows(fixture: Fixture) -> None:
    hostile = [StatRow("hero", "<script>x</script>", "", T0, "exposure", 5)]
    page = render_html(build_report(fixture.document, fixture.rows + hostile, now=NOW, flags=["hero"], draws=200))
    assert "<script" not in page
    assert page.count("<svg") == 1


def test_rows_decode_strictly() -> None:
    record = {"flag": "f", "variant": "a", "context": "", "period": 3600, "metric": "exposure", "count": 3}
    assert decode_rows([record]) == [StatRow("f", "a", "", 3600, "exposure", 3)]
    with pytest.raises(msgspec.ValidationError, match="count"):
        decode_rows([{**record, "count": "3"}])


def test_rate_axis_labels_are_evenly_spaced_and_exact(report: Report) -> None:
    page = render_html(report)
    for key in report.flags:
        section = page[page.index(f'data-flag="{key}"') :]
        chart = section[section.index("<svg") : section.index("</svg>")]
        labels = [float(v) for v in re.findall(r'text-anchor="end">([0-9.]+)%</text>', chart)]
        steps = {round(b - a, 6) for a, b in itertools.pairwise(labels)}
        assert labels[0] == 0 and len(labels) >= 3 and len(steps) == 1, (key, labels)
