"""Guardrail judgement and ramp decisions (``swerve_edge.guardrails``): breaches need evidence, not noise."""

import pytest

from swerve_edge.guardrails import (
    ADVANCE,
    BREACH,
    CONTROL,
    CONVERSION_GUARDRAIL,
    ERROR_GUARDRAIL,
    HOLD,
    OK,
    PENDING,
    STOP,
    Guardrails,
    VariantCounts,
    decide_ramp,
    judge,
)

RAILS = Guardrails(max_error_rate=5, min_conversion_ratio=0.8, min_units=100)
HEALTHY = VariantCounts(units=1000, requests=3000, errors=30, conversions=50)


def test_a_failing_variant_breaches_with_the_numbers() -> None:
    broken = VariantCounts(units=200, requests=600, errors=300, conversions=9)
    verdict = judge({"control": HEALTHY, "new": broken}, "control", RAILS)["new"]
    assert verdict.status == BREACH
    (breach,) = verdict.breaches
    assert breach.guardrail == ERROR_GUARDRAIL and breach.observed == 0.5 and breach.threshold == 5
    # Wilson at n = 200 units (not 600 requests): 50% -> 43.1%..56.9%.
    assert breach.interval.low == pytest.approx(0.4314, abs=1e-4)
    assert "50.00% of 600 requests" in breach.message and "above the maximum 5%" in breach.message


def test_noise_above_the_maximum_does_not_roll_back() -> None:
    # 6% observed against a 5% maximum, 300 units: the interval still holds 5%.
    noisy = VariantCounts(units=300, requests=900, errors=54, conversions=15)
    verdict = judge({"control": HEALTHY, "new": noisy}, "control", RAILS)["new"]
    assert verdict.status == OK
    assert verdict.error_share == pytest.approx(0.06)
    assert verdict.error_interval.low < 0.05 < verdict.error_interval.high


def test_requests_of_one_visitor_are_not_independent_evidence() -> None:
    # 7% of 5,000 requests from 100 visitors: as 5,000 independent trials it would breach
    # (lower bound 6.3%), but with the visitors as the sample size the bound is 3.4%.
    clustered = VariantCounts(units=100, requests=5000, errors=350, conversions=5)
    verdict = judge({"control": HEALTHY, "new": clustered}, "control", RAILS)["new"]
    assert verdict.status == OK
    assert verdict.error_interval.low == pytest.approx(0.0343, abs=1e-4)


def test_below_min_units_nothing_is_judged() -> None:
    young = VariantCounts(units=99, requests=300, errors=300, conversions=0)
    verdict = judge({"control": HEALTHY, "new": young}, "control", RAILS)["new"]
    assert verdict.status == PENDING and "99 of 100 units" in verdict.reason
    assert verdict.error_share == 1.0  # still shown


def test_when_the_control_fails_too_the_origin_is_to_blame() -> None:
    down = VariantCounts(units=500, requests=1500, errors=1400, conversions=0)
    verdicts = judge({"control": down, "new": down}, "control", RAILS)
    assert verdicts["control"].status == CONTROL
    assert verdicts["new"].status == PENDING and "the origin" in verdicts["new"].reason


def test_a_variant_that_converts_clearly_worse_breaches() -> None:
    worse = VariantCounts(units=2000, requests=4000, errors=0, conversions=20)
    base = VariantCounts(units=2000, requests=4000, errors=0, conversions=100)
    verdict = judge({"control": base, "new": worse}, "control", RAILS)["new"]
    assert verdict.status == BREACH
    (breach,) = verdict.breaches
    assert breach.guardrail == CONVERSION_GUARDRAIL
    assert breach.observed == pytest.approx(0.2)
    assert breach.interval.high < 0.8
    assert "20/2000 vs 100/2000" in breach.message


def test_a_ratio_below_the_minimum_by_noise_does_not_breach() -> None:
    slightly = VariantCounts(units=1000, requests=2000, errors=0, conversions=45)
    base = VariantCounts(units=1000, requests=2000, errors=0, conversions=50)
    verdict = judge({"control": base, "new": slightly}, "control", Guardrails(None, 0.95, 100))["new"]
    assert verdict.status == OK
    assert verdict.conversion_ratio == pytest.approx(0.9)
    assert verdict.ratio_interval.low < 0.95 < verdict.ratio_interval.high


def test_the_conversion_guardrail_waits_for_the_control() -> None:
    small_control = VariantCounts(units=50, requests=100, errors=0, conversions=5)
    verdict = judge({"control": small_control, "new": HEALTHY}, "control", RAILS)["new"]
    assert verdict.status == PENDING and "the control has 50 of 100 units" in verdict.reason


def test_guardrails_from_the_compiled_spec() -> None:
    assert Guardrails.from_spec({"max_error_rate": 2, "min_units": 50}) == Guardrails(2, None, 50)
    assert Guardrails.from_spec({"min_conversion_ratio": 0.9}) == Guardrails(None, 0.9, 100)


RAMP = {"variant": "new", "steps": [1, 5, 25, 50, 100], "min_hours": 24, "min_units": 100}
HOUR = 3600.0


def _ok() -> dict:
    verdicts = judge({"control": HEALTHY, "new": VariantCounts(1000, 3000, 30, 50)}, "control", RAILS)
    assert verdicts["new"].status == OK
    return verdicts


def test_a_ramp_advances_one_step_when_time_units_and_guardrails_allow() -> None:
    decision = decide_ramp(RAMP, 1, 0.0, 25 * HOUR, {"control": 900, "new": 120}, _ok())
    assert decision.action == ADVANCE and decision.step == 2
    assert "now 25%" in decision.reason


def test_a_ramp_holds_until_its_step_is_old_enough() -> None:
    decision = decide_ramp(RAMP, 1, 0.0, 5 * HOUR, {"control": 900, "new": 120}, _ok())
    assert decision == (HOLD, 1, "step 2 of 5 (5%) has run 5.0 of 24 hours")


def test_a_ramp_holds_until_every_variant_has_its_units() -> None:
    decision = decide_ramp(RAMP, 0, 0.0, 30 * HOUR, {"control": 900, "new": 40}, _ok())
    assert decision.action == HOLD and "new 40" in decision.reason and "control" not in decision.reason
    missing = decide_ramp(RAMP, 0, 0.0, 30 * HOUR, {"control": 900}, _ok())
    assert missing.action == HOLD and "new 0" in missing.reason


def test_a_ramp_holds_while_its_guardrails_are_not_judged() -> None:
    pending = judge({"control": HEALTHY, "new": VariantCounts(50, 100, 0, 2)}, "control", RAILS)
    decision = decide_ramp(RAMP, 0, 0.0, 30 * HOUR, {"control": 900, "new": 100}, pending)
    assert decision.action == HOLD and "guardrails not judged yet" in decision.reason


def test_a_breach_stops_the_ramped_variant_at_any_time() -> None:
    broken = judge({"control": HEALTHY, "new": VariantCounts(200, 600, 300, 9)}, "control", RAILS)
    decision = decide_ramp(RAMP, 2, 0.0, 1 * HOUR, {"control": 10, "new": 10}, broken)
    assert decision.action == STOP and decision.step == 2 and "error share 50.00%" in decision.reason


def test_a_complete_ramp_holds() -> None:
    decision = decide_ramp(RAMP, 4, 0.0, 100 * HOUR, {"control": 900, "new": 900}, _ok())
    assert decision == (HOLD, 4, "the ramp is complete: new at 100%")


def test_without_guardrails_time_and_units_decide() -> None:
    decision = decide_ramp(RAMP, 0, 0.0, 24 * HOUR, {"control": 100, "new": 100}, None)
    assert decision.action == ADVANCE and decision.step == 1
