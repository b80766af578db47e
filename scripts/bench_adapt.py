"""Benchmark: does Swerve's adaptive policy find, per behavioral state, the arm that converts?

A synthetic population (``adapt_population.py``: rates of a few percent that depend on the
device, returning visits and hesitation) arrives in rounds (one round = one hour = one
``swerve learn`` cadence). In the same run, the same visitors (same states, same chance of
converting on each arm) go through four policies:

- static: an equal split of the three arms, never learned;
- Thompson sampling without context: Swerve's adaptive rule with no features;
- contextual: Swerve's adaptive rule over the device, sessions and pricing views;
- oracle: the best arm of each visitor's state (no edge; the upper bound).

Each visitor of the first three is a real edge request: ``plan_request`` with real
``Facts`` (User-Agent, the signed summary cookie holding the visitor's sessions and pricing
views, a random anonymous id), so the context, holdout, arm, exposure and its context come
from the generated evaluator and the outcome code the Worker runs. A visitor who converts
(their state's rate for the arm shown) then requests the goal page with the cookie they
were given, which records the conversion. Counts are added up by the Worker's own
``Tally``; after each round ``swerve learn``'s plan (``swerve.learn.plan_learn``: the real
learner, cadence, tolerance) publishes the next document, which the next round loads.

Printed per policy: conversions, expected conversions (each decision's true rate), regret
against the oracle, and the share of the oracle's gain over the static split it achieved
(from expected conversions, which the common random numbers make comparable; the learned
policies pay for their holdout here). Then ``swerve report``'s policy-vs-holdout uplift of
the contextual policy with its 95% interval, and whether it covers the true uplift: the
expected rate of the policy's visitors under the weights in force each round over the
expected rate of uniformly random arms.

Usage: python scripts/bench_adapt.py [--rounds N] [--visitors N] [--seed S] [--json]
"""

import argparse
import json
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import adapt_population as population

from swerve.build import compiled_from_sources
from swerve.learn import plan_learn
from swerve.publish import Pointer
from swerve.report import build_report, iso
from swerve.stat_rows import StatRow
from swerve_edge import cookie
from swerve_edge.config import load_config
from swerve_edge.http import ANONYMOUS_COOKIE, SUMMARY_COOKIE
from swerve_edge.plan import Facts, Plan, plan_request
from swerve_edge.ruleset import Ruleset, load_ruleset
from swerve_edge.summary import Summary
from swerve_edge.tally import Tally

T0 = 1_798_761_600  # 2027-01-01T00:00:00Z
HOUR = 3600
KEYS = "bench-adapt-key"
CONFIG = load_config(lambda name: {"SWERVE_COOKIE_KEYS": KEYS}.get(name, ""))
SIGNING = cookie.parse_keys(KEYS)
RULES = """
events:
  pricing_view: {{ path: ^/pricing }}
  signup: {{ path: ^/signup/done$ }}
flags:
  offer:
    owner: bench@example.com
    expires: 2099-01-01
    variants: {{ standard: {{}}, trial-no-card: {{}}, one-tap: {{}} }}
    default: standard
    rules:
      - adapt:
          arms: [standard, trial-no-card, one-tap]
          goal: signup
          features: {features}
          holdout: {holdout}
          floor: {floor}
          min_units: {min_units}
          cadence: 1h
"""


class EdgePolicy:
    """One policy served by the edge code: its live document, counts and running totals."""

    def __init__(self, name: str, document: dict, learns: bool) -> None:
        self.name = name
        self.document = document
        self.ruleset: Ruleset = load_ruleset(document)
        self.learns = learns
        self.tally = Tally(interval=1e12, max_keys=10**9, now=T0)
        self.conversions = 0
        self.expected = 0.0
        self.history: list[Pointer] = [Pointer(version=1, hash=document["hash"], time=iso(T0), action="push")]
        self.versions = {1: document}
        # Per round: (policy visitors, their expected rate under the weights in force).
        self.rounds: list[tuple[int, float]] = []

    def visit(self, state: population.State, sessions: int, views: int, anonymous: str, u: float, now: int) -> None:
        """One visitor: the decision request, then the goal request if they convert."""
        summary = Summary(now - 86_400 * (sessions - 1), now - 60, sessions, sessions + views, 1)
        if views:
            summary.events["pricing_view"] = views
        cookies = {ANONYMOUS_COOKIE: anonymous, SUMMARY_COOKIE: cookie.encode(summary, SIGNING)}
        plan = self.request("/", state.device, cookies, now)
        ((_flag, arm, _context),) = plan.exposed
        self.tally.add(plan.counts, now)
        rate = state.rates[population.ARMS.index(arm)]
        self.expected += rate
        if u < rate:
            self.conversions += 1
            self.tally.add(self.request("/signup/done", state.device, cookies, now).counts, now)

    def request(self, path: str, device: str, cookies: dict[str, str], now: int) -> Plan:
        """One request through the edge's planning, keeping the cookies it sets like a browser."""
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers = {"user-agent": population.USER_AGENTS[device], "cookie": header, "accept": "text/html"}
        facts = Facts(f"https://shop.test{path}", "GET", headers, {}, 12, 3, now)
        plan = plan_request(self.ruleset, CONFIG, facts, _no_id)
        for value in plan.set_cookies:
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
        return plan

    def rows(self) -> list[StatRow]:
        """The outcome table's rows so far, as ``swerve learn`` and ``report`` read them from D1."""
        return [StatRow(*key, count) for key, count in sorted(self.tally.pending.items())]

    def learn(self, now: int, seed: int) -> None:
        """``swerve learn`` at the end of a round: publish the next version when the weights moved."""
        plan = plan_learn(self.document, self.rows(), self.history, self.versions.get, now, seed=seed)
        for change in plan.changes:
            version = len(self.versions) + 1
            self.versions[version] = change.document
            self.history.append(Pointer(version=version, hash=change.document["hash"], time=iso(now), action="learn"))
            self.document = change.document
        self.ruleset = load_ruleset(self.document)

    def policy_rate(self) -> float:
        """The population's expected rate when the live weights choose every arm (no holdout)."""
        adaptive = self.ruleset.by_key["offer"].rules[0].adapt
        weights = {}
        for state, _share in population.states():
            index = adaptive.index[context_key(state, len(adaptive.features))]
            total = sum(adaptive.weights[index])
            weights[state] = [w / total for w in adaptive.weights[index]]
        return population.expected_rate(weights)


def _no_id() -> str:
    raise AssertionError("every simulated visitor brings an anonymous id")


def context_key(state: population.State, features: int) -> str:
    """The context key the edge computes for a visitor in ``state`` (FEATURES: device, sessions, pricing views)."""
    if features == 0:
        return ""
    device = {"mobile": 0, "tablet": 1}.get(state.device, 2)
    return f"{device}.{int(state.returning)}.{int(state.hesitant)}"


def compile_document(folder: Path, name: str, features: dict, holdout: float, floor: float, min_units: int) -> dict:
    """The bench's rules with these adaptive settings, compiled by the real compiler."""
    path = folder / f"{name}.yaml"
    text = RULES.format(features=json.dumps(features), holdout=holdout, floor=floor, min_units=min_units)
    path.write_text(textwrap.dedent(text))
    return compiled_from_sources([str(path)])


def run(rounds: int, visitors: int, seed: int, holdout: float, floor: float, min_units: int) -> dict:
    """Every round through every policy; the results as one dict (the ``--json`` line)."""
    with tempfile.TemporaryDirectory(prefix="bench-adapt-") as tmp:
        folder = Path(tmp)
        policies = [
            EdgePolicy("static split", compile_document(folder, "static", {}, 0, 0, min_units), learns=False),
            EdgePolicy(
                "Thompson, no context", compile_document(folder, "ts", {}, holdout, floor, min_units), learns=True
            ),
            EdgePolicy(
                "Swerve, contextual",
                compile_document(folder, "ctx", population.FEATURES, holdout, floor, min_units),
                learns=True,
            ),
        ]
    rng = random.Random(seed)
    static_rate = population.expected_rate({s: [1 / 3] * 3 for s, _ in population.states()})
    oracle_rate = population.expected_rate({s: [float(i == s.best) for i in range(3)] for s, _ in population.states()})
    oracle = 0.0
    oracle_conversions = 0
    started = time.monotonic()
    for round_number in range(rounds):
        now = T0 + round_number * HOUR
        for i in range(visitors):
            state = population.draw(rng)
            sessions, views = population.behavior(state, rng)
            anonymous = f"{rng.getrandbits(128):032x}"
            u = rng.random()
            moment = now + i * HOUR // visitors
            for policy in policies:
                policy.visit(state, sessions, views, anonymous, u, moment)
            best = state.rates[state.best]
            oracle += best
            oracle_conversions += u < best
        for policy in policies:
            if policy.learns:
                # The weights in force this round, before learning from it.
                units = sum(
                    n
                    for (_f, _v, context, period, metric), n in policy.tally.pending.items()
                    if period == now and metric == "exposure" and not context.startswith("holdout:")
                )
                policy.rounds.append((units, policy.policy_rate()))
                policy.learn(now + HOUR, seed)
        share = (policies[2].rounds[-1][1] - static_rate) / (oracle_rate - static_rate)
        print(
            f"round {round_number + 1}/{rounds}: the contextual weights in force had {share:.0%} of the oracle's "
            f"gain ({time.monotonic() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    static = policies[0].expected
    gain = oracle - static
    results = {
        "rounds": rounds,
        "visitors": rounds * visitors,
        "policies": {
            p.name: {
                "conversions": p.conversions,
                "expected_conversions": round(p.expected, 1),
                "regret": round(oracle - p.expected, 1),
                "share_of_oracle": round((p.expected - static) / gain, 4),
            }
            for p in policies
        },
    }
    results["policies"]["oracle"] = {
        "conversions": oracle_conversions,
        "expected_conversions": round(oracle, 1),
        "regret": 0.0,
        "share_of_oracle": 1.0,
    }
    contextual = policies[2]
    report = build_report(
        contextual.document, contextual.rows(), contextual.history, load=contextual.versions.get, flags=["offer"],
        now=T0 + rounds * HOUR,
    )  # fmt: skip
    versus = report.flags["offer"].adaptive.policy
    policy_units = sum(n for n, _ in contextual.rounds)
    truth_policy = sum(n * rate for n, rate in contextual.rounds) / policy_units
    truth = truth_policy / static_rate - 1
    low, high = versus.uplift_ci or (float("nan"), float("nan"))
    results |= {
        "contextual_share_of_oracle": results["policies"]["Swerve, contextual"]["share_of_oracle"],
        "noncontextual_share_of_oracle": results["policies"]["Thompson, no context"]["share_of_oracle"],
        "uplift": versus.uplift,
        "uplift_ci": [low, high],
        "true_uplift": truth,
        "uplift_ci_covers_truth": bool(low <= truth <= high),
        "policy_units": versus.policy_units,
        "holdout_units": versus.holdout_units,
        "published_versions": len(contextual.versions),
        "seconds": round(time.monotonic() - started, 1),
    }
    return results


def render(results: dict, args: argparse.Namespace) -> str:
    """The results for people."""
    lines = [
        f"{results['visitors']:,} visitors in {results['rounds']} rounds of {args.visitors:,} (seed {args.seed}; "
        f"holdout {args.holdout:g}%, floor {args.floor:g}%, min_units {args.min_units})",
        "",
        f"{'policy':<22} {'conversions':>11} {'expected':>9} {'regret':>8} {'share of oracle gain':>21}",
    ]
    for name, p in results["policies"].items():
        lines.append(
            f"{name:<22} {p['conversions']:>11,} {p['expected_conversions']:>9,.1f} {p['regret']:>8,.1f} "
            f"{p['share_of_oracle']:>21.1%}"
        )
    low, high = results["uplift_ci"]
    covered = "covers" if results["uplift_ci_covers_truth"] else "does NOT cover"
    lines += [
        "",
        f"contextual policy vs its holdout (swerve report): uplift {results['uplift']:+.1%} "
        f"[{low:+.1%}, {high:+.1%}] over {results['policy_units']:,} policy and {results['holdout_units']:,} "
        f"holdout units",
        f"true simulated uplift {results['true_uplift']:+.1%}: the 95% interval {covered} it",
        f"{results['published_versions'] - 1} learned versions published; {results['seconds']:.0f} s",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=48, help="rounds, one learn each (default 48)")
    parser.add_argument("--visitors", type=int, default=3000, help="visitors per round (default 3000)")
    parser.add_argument("--seed", type=int, default=1, help="population and learner seed (default 1)")
    # The defaults are the adapt rule's own.
    parser.add_argument("--holdout", type=float, default=10, help="holdout percent of the learned policies (10)")
    parser.add_argument("--floor", type=float, default=1, help="exploration floor percent per arm (1)")
    parser.add_argument("--min-units", type=int, default=100, help="units before a context's own weights (100)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    args = parser.parse_args()
    results = run(args.rounds, args.visitors, args.seed, args.holdout, args.floor, args.min_units)
    print(render(results, args))
    if args.json:
        print(json.dumps(results, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
