"""Report statistics (``swerve_edge.stats``) against hand-computed and published reference values.

Reference values were computed with SciPy 1.17.1 (``scipy.stats.binomtest(...).proportion_ci
(method="wilson")``, ``scipy.stats.contingency.relative_risk(...).confidence_interval()``,
``scipy.special.gammaincc``, ``scipy.stats.chi2.sf``, ``scipy.stats.chisquare``); SciPy is
not a dependency, the numbers are.
"""

import math

import pytest

from swerve_edge.stats import (
    Interval,
    best_and_runner_up,
    chi2_sf,
    p_best,
    prob_best,
    rate,
    ratio_interval,
    regularized_gamma_q,
    relative_uplift,
    srm_p_value,
    wilson,
    wilson_score,
)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (0, 10, 0.0, 0.27753279986288926),
        (1, 10, 0.017876213095072896, 0.4041500267952385),
        (5, 100, 0.021543679154367973, 0.11175046923191914),
        (50, 100, 0.4038315303659956, 0.5961684696340044),
        (100, 100, 0.9630065017930143, 1.0),
        (3, 1000, 0.0010207838811386186, 0.008783014053503173),
    ],
)
def test_wilson_matches_reference_values(successes: int, trials: int, low: float, high: float) -> None:
    got = wilson(successes, trials)
    assert got.low == pytest.approx(low, rel=1e-12, abs=1e-15)
    assert got.high == pytest.approx(high, rel=1e-12)


def test_wilson_by_hand() -> None:
    # 5 of 100: center = (0.05 + z^2/200) / (1 + z^2/100), half = z/(1 + z^2/100) * sqrt(0.05*0.95/100 + z^2/40000)
    z2 = 1.959963984540054**2
    center = (0.05 + z2 / 200) / (1 + z2 / 100)
    half = 1.959963984540054 / (1 + z2 / 100) * math.sqrt(0.0475 / 100 + z2 / 40000)
    assert wilson(5, 100) == pytest.approx((center - half, center + half), rel=1e-12)


def test_wilson_without_trials_knows_nothing_and_rate_is_none() -> None:
    assert wilson(0, 0) == Interval(0.0, 1.0)
    assert rate(0, 0) is None
    assert rate(3, 4) == 0.75


def test_a_smaller_effective_sample_widens_the_interval() -> None:
    narrow = wilson_score(0.07, 5000)
    wide = wilson_score(0.07, 100)
    assert wide.low < narrow.low < 0.07 < narrow.high < wide.high


@pytest.mark.parametrize(
    ("cv", "nv", "cc", "nc", "low", "high"),
    [
        (60, 1000, 50, 1000, 0.8330980994498377, 1.7284879187108322),
        (30, 400, 45, 500, 0.5351625442751614, 1.2976327507841918),
        (7, 250, 12, 260, 0.24277635820778454, 1.515981404290804),
    ],
)
def test_ratio_interval_matches_the_katz_interval(cv: int, nv: int, cc: int, nc: int, low: float, high: float) -> None:
    got = ratio_interval(cv, nv, cc, nc)
    assert got is not None
    assert got.low == pytest.approx(low, rel=1e-12)
    assert got.high == pytest.approx(high, rel=1e-12)


def test_uplift_by_hand() -> None:
    # 60/1000 vs 50/1000: ratio 1.2, se(log) = sqrt(1/60 - 1/1000 + 1/50 - 1/1000) = 0.186190...
    # interval exp(log 1.2 -+ 1.96 * 0.18619) - 1 = (-0.16690, +0.72849)
    uplift = relative_uplift(60, 1000, 50, 1000)
    assert uplift.estimate == pytest.approx(0.2)
    assert uplift.low == pytest.approx(-0.16690, abs=5e-5)
    assert uplift.high == pytest.approx(0.72849, abs=5e-5)


def test_uplift_with_zero_conversions_stays_finite() -> None:
    # Control without conversions: no point estimate, but a finite interval above -100%.
    none_in_control = relative_uplift(8, 500, 0, 500)
    assert none_in_control.estimate is None
    assert none_in_control.low is not None and none_in_control.high is not None
    assert -1 < none_in_control.low < 0 < none_in_control.high < math.inf
    # Haldane-Anscombe by hand: (8.5/501) / (0.5/501) = 17, se = sqrt(1/8.5 - 1/501 + 1/0.5 - 1/501)
    se = math.sqrt(1 / 8.5 - 1 / 501 + 1 / 0.5 - 1 / 501)
    assert none_in_control.low == pytest.approx(17 * math.exp(-1.959963984540054 * se) - 1)
    # Variant without conversions: -100% observed, and the interval holds it (a corrected
    # interval alone would end at -99.9%); its upper end says how sure the loss is.
    none_in_variant = relative_uplift(0, 500, 8, 500)
    assert none_in_variant.estimate == -1 == none_in_variant.low
    corrected = ratio_interval(0, 500, 8, 500)
    assert corrected is not None and corrected.low > 0
    assert none_in_variant.high == pytest.approx(corrected.high - 1) and -1 < none_in_variant.high < 0.5
    neither = relative_uplift(0, 100, 0, 100)
    assert neither.estimate is None and neither.low < 0 < neither.high
    assert relative_uplift(3, 0, 2, 10) == (None, None, None)


@pytest.mark.parametrize(
    ("a", "x", "expected"),
    [
        (0.5, 0.3, 0.4385780260809997),
        (2.5, 10, 0.0012497305630313773),
        (10, 3, 0.9988975118698845),
        (3, 3.5, 0.32084719886213414),
        (100, 90, 0.84177901081357),
    ],
)
def test_regularized_upper_gamma_matches_reference_values(a: float, x: float, expected: float) -> None:
    assert regularized_gamma_q(a, x) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("statistic", "df", "expected"),
    [
        (3.84, 1, 0.05004352124870519),
        (7.5, 3, 0.0575584519726364),
        (30, 4, 4.894437128029217e-06),
        (50, 50, 0.47339846855634937),
        (200, 10, 1.6139305336977317e-37),
    ],
)
def test_chi2_survival_matches_reference_values(statistic: float, df: int, expected: float) -> None:
    assert chi2_sf(statistic, df) == pytest.approx(expected, rel=1e-12)


def test_chi2_survival_edges() -> None:
    assert chi2_sf(0, 3) == 1.0
    assert chi2_sf(math.inf, 2) == 0.0
    # df = 2 has the closed form exp(-x/2).
    assert chi2_sf(7.0, 2) == pytest.approx(math.exp(-3.5), rel=1e-13)
    with pytest.raises(ValueError):
        chi2_sf(1.0, 0)


@pytest.mark.parametrize(
    ("observed", "weights", "expected"),
    [
        ([5100, 4900], [50, 50], 0.04550026389635857),
        ([1040, 2960], [25, 75], 0.14412703481601116),
        ([1000, 1000, 1100], [1, 1, 1], 0.03972373338644102),
        ([330, 100, 70], [60, 30, 10], 9.82335110909833e-07),
    ],
)
def test_srm_matches_chisquare(observed: list[int], weights: list[float], expected: float) -> None:
    assert srm_p_value(observed, weights) == pytest.approx(expected, rel=1e-10)


def test_srm_by_hand() -> None:
    # 5100/4900 against 50/50: chi2 = 2 * 100^2 / 5000 = 4, df 1: p = erfc(sqrt(2)).
    assert srm_p_value([5100, 4900], [50, 50]) == pytest.approx(math.erfc(math.sqrt(2)), rel=1e-12)


def test_srm_cases_that_cannot_be_tested_or_cannot_happen() -> None:
    assert srm_p_value([0, 0], [50, 50]) is None
    assert srm_p_value([10, 0], [100, 0]) is None  # one live variant: nothing to compare
    assert srm_p_value([10, 3, 10], [50, 0, 50]) == 0.0  # units where the weight is 0
    assert srm_p_value([10, 0, 10], [50, 0, 50]) == 1.0
    with pytest.raises(ValueError):
        srm_p_value([1, 2], [1])


def _exact_b_beats_a(alpha_a: int, beta_a: int, alpha_b: int, beta_b: int) -> float:
    """P(p_B > p_A) for Beta posteriors with integer alpha_B (Miller's closed form)."""

    def log_beta(x: float, y: float) -> float:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    return sum(
        math.exp(
            log_beta(alpha_a + i, beta_a + beta_b)
            - math.log(beta_b + i)
            - log_beta(1 + i, beta_b)
            - log_beta(alpha_a, beta_a)
        )
        for i in range(alpha_b)
    )


def test_p_best_agrees_with_the_closed_form_for_two_arms() -> None:
    counts = [(1000, 50), (1000, 62)]
    exact = _exact_b_beats_a(51, 951, 63, 939)
    got = p_best(counts, draws=20_000, seed=7)
    # Monte Carlo standard error is sqrt(p(1-p)/20000) < 0.0036; allow 4 of them.
    assert got[1] == pytest.approx(exact, abs=0.015)
    assert sum(got) == pytest.approx(1.0)


def test_p_best_is_deterministic_for_a_seed() -> None:
    counts = [(400, 20), (400, 24), (400, 22)]
    assert p_best(counts, draws=3000, seed="s") == p_best(counts, draws=3000, seed="s")
    assert p_best(counts, draws=3000, seed="s") != p_best(counts, draws=3000, seed="t")


def test_p_best_edges() -> None:
    assert prob_best([], 100, 0) == []
    assert p_best([(10, 1)]) == [1.0]
    equal = p_best([(500, 25), (500, 25)], draws=4000, seed=1)
    assert equal[0] == pytest.approx(0.5, abs=0.05)
    with pytest.raises(ValueError):
        prob_best([(1, 1), (1, 1)], 0, 0)


def test_runner_up_frequencies() -> None:
    first, second = best_and_runner_up([(500, 9500), (100, 9900), (300, 9700)], 2000, 3)
    assert first[0] == 1.0  # 5% against 1% and 3%: always first
    assert second[2] == 1.0 and second[1] == 0.0
    assert sum(second) == pytest.approx(1.0)
