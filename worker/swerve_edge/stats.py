"""The statistics behind ``swerve report``, ``swerve advance`` and ``swerve learn``.

Pure functions on counts of units (visitors), standard library only, so the CLI and a
future in-Worker trigger run the same code under CPython and Pyodide.

- ``wilson``: a rate's 95% interval. Wilson's score interval keeps its coverage near
  95% for small samples and rates near 0 or 1, where the textbook normal ("Wald")
  interval collapses to a point or leaves [0, 1]. Conversion rates of a few percent
  are exactly that case.
- ``relative_uplift``: a variant's rate divided by the control's, minus one, with a
  95% interval from the delta method on the log of the ratio (the "Katz" interval of a
  risk ratio). On the log scale the ratio's sampling distribution is close to normal
  and the interval is asymmetric the way a ratio's must be (it never goes below -100%).
  A zero count (no conversions, or all units converted) in either arm makes the log
  undefined; then both arms get half a conversion and half a non-conversion (the
  Haldane-Anscombe correction) for the interval. The point estimate stays the plain
  ratio, and is None when the control has no conversions (any uplift over 0 is
  unbounded).
- ``prob_best`` / ``p_best``: each arm's probability of having the highest rate, by
  Monte Carlo over independent Beta posteriors (Beta(1 + conversions, 1 + units -
  conversions) from a uniform prior), seeded so the same counts give the same answer.
- ``srm_p_value``: the sample-ratio-mismatch test: a chi-square goodness-of-fit test
  of the units per variant against the configured weights. A tiny p-value means the
  split is not what the rules say (a bug in bucketing, a redirect losing visitors, bot
  traffic on one side), so the comparison cannot be trusted. ``chi2_sf`` evaluates the
  chi-square survival function as the regularized upper incomplete gamma function
  Q(k/2, x/2): a power series below x = a + 1 and a continued fraction (modified Lentz)
  above, as in Numerical Recipes, accurate to about 1e-14 relative.
"""

import math
import random
from collections.abc import Sequence
from typing import NamedTuple

# The two-sided 95% normal quantile.
Z95 = 1.959963984540054


class Interval(NamedTuple):
    """A confidence interval ``[low, high]``."""

    low: float
    high: float


class Uplift(NamedTuple):
    """A relative uplift (0.12 = +12%) and its interval; None where it is not defined."""

    estimate: float | None
    low: float | None
    high: float | None


def rate(successes: int, trials: int) -> float | None:
    """``successes / trials``, or None with no trials."""
    return successes / trials if trials > 0 else None


def wilson_score(share: float, trials: float, z: float = Z95) -> Interval:
    """Wilson's interval for an observed ``share`` of ``trials`` (trials may be an effective, fractional n)."""
    if trials <= 0:
        return Interval(0.0, 1.0)
    share = min(max(share, 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / trials
    center = (share + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    # At share 0 or 1 the bound is exactly 0 or 1; rounding must not move it past.
    low = 0.0 if share == 0 else max(0.0, center - half)
    high = 1.0 if share == 1 else min(1.0, center + half)
    return Interval(low, high)


def wilson(successes: int, trials: int, z: float = Z95) -> Interval:
    """Wilson's 95% score interval for ``successes`` out of ``trials`` ([0, 1] with no trials)."""
    if trials <= 0:
        return Interval(0.0, 1.0)
    return wilson_score(successes / trials, trials, z)


def _log_ratio(conv_v: float, units_v: float, conv_c: float, units_c: float) -> tuple[float, float]:
    """log(rate_v / rate_c) and its delta-method standard error (counts already corrected)."""
    estimate = math.log((conv_v / units_v) / (conv_c / units_c))
    se = math.sqrt(1 / conv_v - 1 / units_v + 1 / conv_c - 1 / units_c)
    return estimate, se


def ratio_interval(conv_v: int, units_v: int, conv_c: int, units_c: int, z: float = Z95) -> Interval | None:
    """The 95% interval of ``rate_v / rate_c`` (delta method on the log), None without units in an arm."""
    if units_v <= 0 or units_c <= 0:
        return None
    cv, nv, cc, nc = float(conv_v), float(units_v), float(conv_c), float(units_c)
    if 0 in (conv_v, conv_c) or conv_v == units_v or conv_c == units_c:
        # Haldane-Anscombe: half a unit in each cell of both arms keeps the log finite.
        cv, nv, cc, nc = cv + 0.5, nv + 1, cc + 0.5, nc + 1
    center, se = _log_ratio(cv, nv, cc, nc)
    return Interval(math.exp(center - z * se), math.exp(center + z * se))


def relative_uplift(conv_v: int, units_v: int, conv_c: int, units_c: int, z: float = Z95) -> Uplift:
    """The variant's rate over the control's, minus one, with a 95% interval (see the module docstring)."""
    ratio = ratio_interval(conv_v, units_v, conv_c, units_c, z)
    if ratio is None:
        return Uplift(None, None, None)
    estimate = (conv_v / units_v) / (conv_c / units_c) - 1 if conv_c > 0 else None
    low, high = ratio.low - 1, ratio.high - 1
    if estimate is not None:
        # With a zero cell the interval's half-count correction can leave out the estimate itself
        # (no conversions: -100%, a bound the rate really reaches): widen it to hold the estimate.
        low, high = min(low, estimate), max(high, estimate)
    return Uplift(estimate, low, high)


def best_and_runner_up(
    posteriors: Sequence[tuple[float, float]], draws: int, seed: int | str
) -> tuple[list[float], list[float]]:
    """How often each arm is highest and second highest under independent ``Beta(alpha, beta)`` posteriors.

    Monte Carlo with ``draws`` joint samples from ``random.Random(seed)``: deterministic
    for a given seed. With one arm it is always first and never second.
    """
    arms = len(posteriors)
    if arms <= 1:
        return [1.0] * arms, [0.0] * arms
    if draws <= 0:
        raise ValueError("draws must be positive")
    beta = random.Random(seed).betavariate
    first = [0] * arms
    second = [0] * arms
    for _ in range(draws):
        best = runner = 0
        top = high = -1.0
        for arm, (a, b) in enumerate(posteriors):
            sample = beta(a, b)
            if sample > top:
                runner, high = best, top
                best, top = arm, sample
            elif sample > high:
                runner, high = arm, sample
        first[best] += 1
        second[runner] += 1
    return [n / draws for n in first], [n / draws for n in second]


def prob_best(posteriors: Sequence[tuple[float, float]], draws: int, seed: int | str) -> list[float]:
    """Each arm's probability of the highest rate under independent ``Beta(alpha, beta)`` posteriors.

    Monte Carlo (``best_and_runner_up``); deterministic for a given seed. One arm gets
    1.0; no arms, an empty list.
    """
    return best_and_runner_up(posteriors, draws, seed)[0]


def p_best(counts: Sequence[tuple[int, int]], draws: int = 10_000, seed: int | str = 0) -> list[float]:
    """Probability of being best per arm from ``(units, conversions)``, uniform Beta(1, 1) priors."""
    return prob_best([(1 + c, 1 + max(n - c, 0)) for n, c in counts], draws, seed)


_EPSILON = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 10_000


def _lower_gamma_series(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) by its power series (converges fast for x < a + 1)."""
    term = total = 1.0 / a
    denominator = a
    for _ in range(_MAX_ITERATIONS):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPSILON:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_fraction(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x) by its continued fraction (modified Lentz, x >= a + 1)."""
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPSILON:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Gamma(a, x) / Gamma(a), the regularized upper incomplete gamma function (a > 0)."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x <= 0:
        return 1.0
    if x < a + 1:
        return max(0.0, 1.0 - _lower_gamma_series(a, x))
    return _upper_gamma_fraction(a, x)


def chi2_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for X chi-square with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(statistic):
        return 0.0
    return regularized_gamma_q(df / 2, statistic / 2)


def srm_p_value(observed: Sequence[int], weights: Sequence[float]) -> float | None:
    """The sample-ratio-mismatch p-value: units per variant against the configured weights.

    Pearson's chi-square goodness of fit with (variants with a weight) - 1 degrees of
    freedom. Units in a variant whose weight is 0 cannot happen under the configured
    split, so they make the p-value 0. None when it cannot be tested: fewer than two
    variants with a weight, or no units at all.
    """
    if len(observed) != len(weights):
        raise ValueError("one weight per observed count")
    total_weight = sum(w for w in weights if w > 0)
    total = sum(observed)
    live = [(o, w) for o, w in zip(observed, weights, strict=True) if w > 0]
    if len(live) < 2 or total <= 0:
        return None
    if any(o > 0 and w <= 0 for o, w in zip(observed, weights, strict=True)):
        return 0.0
    statistic = 0.0
    for o, w in live:
        expected = total * w / total_weight
        statistic += (o - expected) ** 2 / expected
    return chi2_sf(statistic, len(live) - 1)
