"""A deterministic two-day history of outcome rows and published versions for the report tests.

``tests/fixtures/report_rules`` compiled, then published four times:

- v1 at T0: ``hero`` ramps ``outcome`` at step 1 (10%); ``offer`` has no policy yet;
- v2 at T0 + 20 h: ``hero`` ramp step 2 (25%);
- v3 at T0 + 24 h and v4 at T0 + 36 h: ``swerve learn`` publishes ``offer``'s policy
  (computed here by the real learner from the rows so far).

Rows are drawn hour by hour from fixed true rates with a seeded generator:
``hero`` converts 5% (control) vs 6.5% (outcome) and the outcome's second operation
never matches; ``layout``'s ``cards`` page fails half the time and loses a quarter of its
visitors (a sample ratio mismatch); ``offer`` is adaptive over two features (3 x 2
buckets) with a 10% holdout, and each context has a different best arm.
"""

import random
from collections import defaultdict

from conftest import FIXTURES

from swerve.build import compiled_from_sources
from swerve.live_state import rehashed
from swerve.publish import Pointer
from swerve.report import iso
from swerve.stat_rows import StatRow
from swerve_edge.context_weights import weights_for
from swerve_edge.learner import learn

T0 = 1_795_132_800  # 2026-11-20T00:00:00Z
HOUR = 3600
HOURS = 48
NOW = T0 + HOURS * HOUR + 600
ARMS = ["standard", "trial", "annual"]
# offer: true rate per context "<visits bucket>.<device bucket>" and arm.
OFFER_RATES = {
    "0.0": [0.050, 0.030, 0.020],
    "0.1": [0.045, 0.025, 0.060],
    "1.0": [0.030, 0.080, 0.025],
    "1.1": [0.030, 0.070, 0.030],
    "2.0": [0.020, 0.040, 0.090],
    "2.1": [0.025, 0.030, 0.080],
}
HOLDOUT_SHARE = 0.10
RAMP_CHANGE = T0 + 20 * HOUR
LEARN_TIMES = (T0 + 24 * HOUR, T0 + 36 * HOUR)


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


class Fixture:
    """Documents by version, history, rows and the live document."""

    def __init__(self) -> None:
        base = compiled_from_sources([str(FIXTURES / "report_rules")])
        adapt = base["flags"][2]["rules"][0]["adapt"]
        # What a policy is learned for (``swerve_edge.adaptive.policy_applies``).
        self.policy_spec = {"arms": adapt["arms"], "features": adapt["features"], "goal": adapt["goal"]}
        self.rng = random.Random(2026)
        self.counts: dict[tuple[str, str, str, int, str], int] = defaultdict(int)
        self.versions: dict[int, dict] = {}
        self.history: list[Pointer] = []
        ramp = base["flags"][0]["rules"][0]["rollout"]["ramp"]
        hero_state = {"rules": {"0": {"ramp_step": 0, "ramp": ramp, "ramp_since": iso(T0)}}}
        self._publish(base, {"flags": {"hero": hero_state}}, T0, "push", "ramp hero")
        policy: dict[str, list[float]] = {}
        for hour in range(HOURS):
            start = T0 + hour * HOUR
            if start == RAMP_CHANGE:
                hero_state = {"rules": {"0": {"ramp_step": 1, "ramp": ramp, "ramp_since": iso(start)}}}
                self._publish(base, {"flags": {"hero": hero_state}}, start, "ramp", "hero: step 2")
            if start in LEARN_TIMES:
                policy = self._learn()
                state = {
                    "flags": {
                        "hero": hero_state,
                        "offer": {"rules": {"0": {"policy": {**self.policy_spec, "contexts": policy}}}},
                    }
                }
                self._publish(base, state, start, "learn", "offer: learned weights")
            self._hour(start, 25 if start >= RAMP_CHANGE else 10, policy)
        self.document = self.versions[max(self.versions)]
        self.rows = [StatRow(*key, count) for key, count in sorted(self.counts.items())]

    def _publish(self, base: dict, state: dict, when: int, action: str, message: str) -> None:
        version = len(self.versions) + 1
        document = rehashed(base, state)
        self.versions[version] = document
        self.history.append(
            Pointer(
                version=version,
                hash=document["hash"],
                parent=version - 1 or None,
                author="fixture",
                message=message,
                time=iso(when),
                action=action,
            )
        )

    def _add(self, flag: str, variant: str, context: str, period: int, metric: str, count: int) -> None:
        if count:
            self.counts[(flag, variant, context, period, metric)] += count

    def _hour(self, start: int, outcome_share: int, policy: dict[str, list[float]]) -> None:
        rng = self.rng
        # hero: 60 visitors an hour, 3 requests each; the outcome's second selector never matches.
        outcome = _binomial(rng, 60, outcome_share / 100)
        for variant, units, rate in (("control", 60 - outcome, 0.05), ("outcome", outcome, 0.065)):
            self._add("hero", variant, "", start, "exposure", units)
            self._add("hero", variant, "", start, "conversion:signup", _binomial(rng, units, rate))
            self._add("hero", variant, "", start, "conversion:cta_click", _binomial(rng, units, 2 * rate))
            self._add("hero", variant, "", start, "request", 3 * units)
            self._add("hero", variant, "", start, "error", _binomial(rng, 3 * units, 0.004))
            if variant == "outcome":
                self._add("hero", variant, "", start, "page", 2 * units)
                self._add("hero", variant, "", start, "miss:1", 2 * units)
        # layout: cards fails half its requests and loses a quarter of its visitors.
        cards = _binomial(rng, 40, 0.5)
        cards -= _binomial(rng, cards, 0.25)
        for variant, units, errors in (("classic", 40 - _binomial(rng, 40, 0.5), 0.002), ("cards", cards, 0.5)):
            self._add("layout", variant, "", start, "exposure", units)
            self._add("layout", variant, "", start, "conversion:signup", _binomial(rng, units, 0.04))
            self._add("layout", variant, "", start, "request", 2 * units)
            self._add("layout", variant, "", start, "error", _binomial(rng, 2 * units, errors))
        # offer: 30 visitors per context an hour; holdout uniform, the rest by the policy.
        for key, rates in OFFER_RATES.items():
            weights = weights_for(policy, len(ARMS), key)
            for _ in range(30):
                holdout = rng.random() < HOLDOUT_SHARE
                arm = rng.randrange(3) if holdout else rng.choices(range(3), weights)[0]
                context = f"holdout:{key}" if holdout else key
                self._add("offer", ARMS[arm], context, start, "exposure", 1)
                self._add("offer", ARMS[arm], context, start, "conversion:signup", int(rng.random() < rates[arm]))

    def _learn(self) -> dict[str, list[float]]:
        counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for (flag, variant, context, _period, metric), count in self.counts.items():
            if flag == "offer":
                cell = counts[context][variant]
                cell[0 if metric == "exposure" else 1] += count
        data = {c: {a: (n, k) for a, (n, k) in arms.items()} for c, arms in counts.items()}
        return learn(ARMS, data, 2, floor=5, min_units=100, draws=2000, seed=7).contexts

    def load(self, version: int) -> dict | None:
        """A published version's document (what ``publish.read_version`` gives the command)."""
        return self.versions.get(version)


def totals(rows: list[StatRow], flag: str, variant: str, metric: str, since: int = 0) -> int:
    """A sum over the fixture's rows, as a person checking the report would compute it."""
    return sum(r.count for r in rows if (r.flag, r.variant, r.metric) == (flag, variant, metric) and r.period >= since)
