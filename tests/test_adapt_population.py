"""The synthetic population of scripts/bench_adapt.py: every state is the context Swerve's
edge computes for it, whether the visitor arrives with a summary cookie (the benchmark) or
walks the pages (real requests, as a traffic script does)."""

import random
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import adapt_population as population
import bench_adapt

from swerve_edge.config import load_config
from swerve_edge.plan import Facts, plan_request


@pytest.fixture(scope="module")
def contextual(tmp_path_factory: pytest.TempPathFactory) -> bench_adapt.EdgePolicy:
    folder = tmp_path_factory.mktemp("population")
    document = bench_adapt.compile_document(folder, "ctx", population.FEATURES, 10, 1, 100)
    return bench_adapt.EdgePolicy("contextual", document, learns=True)


def test_the_shares_sum_to_one_and_each_state_has_one_best_arm() -> None:
    assert sum(share for _, share in population.states()) == pytest.approx(1)
    best = {state: state.rates[state.best] for state, _ in population.states()}
    assert all(sorted(state.rates)[-2] < rate for state, rate in best.items())
    assert {population.ARMS[s.best] for s, _ in population.states()} == set(population.ARMS)


def test_a_visitor_with_the_benchmark_cookie_is_in_the_state_context(contextual: bench_adapt.EdgePolicy) -> None:
    rng = random.Random(5)
    for state, _share in population.states():
        sessions, views = population.behavior(state, rng)
        contextual.visit(state, sessions, views, f"{rng.getrandbits(128):032x}", 1.0, bench_adapt.T0)
        (context,) = {key[2] for key in contextual.tally.pending if key[4] == "exposure"}
        assert context.removeprefix("holdout:") == bench_adapt.context_key(state, 3), state
        contextual.tally.pending.clear()


def test_walking_the_pages_arrives_in_the_state_context(contextual: bench_adapt.EdgePolicy) -> None:
    config = load_config(lambda name: {"SWERVE_COOKIE_KEYS": "k", "SWERVE_SESSION_IDLE_SECONDS": "60"}.get(name, ""))
    rng = random.Random(6)
    for state, _share in population.states():
        cookies: dict[str, str] = {}
        now = bench_adapt.T0
        for session in population.pages(state, rng):
            now += 3600
            for path in session:
                now += 1
                header = "; ".join(f"{k}={v}" for k, v in cookies.items())
                headers = {"user-agent": population.USER_AGENTS[state.device], "cookie": header}
                plan = plan_request(
                    contextual.ruleset,
                    config,
                    Facts(f"https://x.test{path}", "GET", headers, {}, 9, 2, now),
                    lambda: "c" * 32,
                )
                for value in plan.set_cookies:
                    name, _, rest = value.partition("=")
                    cookies[name] = rest.split(";", 1)[0]
        ((_flag, _arm, context),) = plan.exposed
        assert context.removeprefix("holdout:") == bench_adapt.context_key(state, 3), state
