"""D1 statements per 1,000 requests: the demo's visitors through the edge's own recording code.

Every request of a simulated visitor (the demo site's walk: home, pricing a few times,
signup, sometimes the thank-you page) goes through the Worker's ``plan_request`` with the
compiled rules of ``rules/``, with the cookies it sets kept like a browser. The counts it
makes (exposures, conversions, requests, errors, and one ``page`` count per rewritten
variant for selector health) go into the edge's ``Tally`` with the Worker's defaults
(flush every 30 s, or at 200 pending counters), and each flush becomes the statements
``upsert_statements`` would send. Time advances at a fixed request rate per isolate, so
the script prints, per rate, the flushes and D1 statements per 1,000 requests.

Why a replay and not workerd: the statements a flush sends are a pure function of the
pending counters (``upsert_statements``), which this runs unchanged; a local D1 has no
statement counter to read from outside.

Usage: python scripts/bench_d1_writes.py [--requests 20000] [--rates 1,10,100,1000] [--json]
"""

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from swerve.build import compiled_from_sources
from swerve_edge.config import load_config
from swerve_edge.outcomes import Count, error_counts, page_counts
from swerve_edge.plan import Facts, plan_request
from swerve_edge.ruleset import Ruleset, load_ruleset
from swerve_edge.tally import Tally, upsert_statements

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_798_761_600  # 2027-01-01T00:00:00Z
CONFIG = load_config(lambda name: {"SWERVE_COOKIE_KEYS": "bench-d1-writes"}.get(name, ""))
DEFAULT_FLUSH = CONFIG.stats_flush
DEFAULT_MAX_KEYS = CONFIG.stats_max_keys
AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Mobile/15E148 Safari/604.1",
)


def walk(rng: random.Random) -> list[str]:
    """One demo visitor's pages, as scripts/traffic.py walks them."""
    pages = ["/"]
    if rng.random() < 0.6:
        pages += ["/pricing"] * rng.choice((1, 1, 2, 3, 4)) + ["/"]
    if rng.random() < 0.2:
        pages.append("/docs")
    if rng.random() < 0.7:
        pages.append("/signup")
        if rng.random() < 0.15:
            pages.append("/signup/done")
    return pages


def requests(ruleset: Ruleset, total: int, seed: int) -> Iterator[list[Count]]:
    """Yield the counts of ``total`` requests of simulated visitors, in order."""
    rng = random.Random(seed)
    made = 0
    while made < total:
        cookies: dict[str, str] = {}
        agent = AGENTS[rng.random() < 0.4]
        anonymous = f"{rng.getrandbits(128):032x}"
        for path in walk(rng):
            header = "; ".join(f"{k}={v}" for k, v in cookies.items())
            facts = Facts(f"https://demo.test{path}", "GET", {"user-agent": agent, "cookie": header}, {}, 12, 3, T0)
            plan = plan_request(ruleset, CONFIG, facts, lambda a=anonymous: a)
            for value in plan.set_cookies:
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";", 1)[0]
            # Selector health: one ``page`` count per rewritten variant (every selector matched).
            rewritten = sorted(set(plan.rewrites))
            pages = page_counts([(f, v, 0) for f, v in rewritten], [True] * len(rewritten))
            yield list(plan.counts) + pages + error_counts(plan.exposed, 200)
            made += 1
            if made == total:
                return


def measure(ruleset: Ruleset, total: int, rate: float, seed: int) -> dict:
    """Flushes and statements for ``total`` requests arriving at ``rate`` per second on one isolate."""
    tally = Tally(DEFAULT_FLUSH, DEFAULT_MAX_KEYS, T0)
    flushes = statements = rows = 0
    now = float(T0)
    for counts in requests(ruleset, total, seed):
        now += 1.0 / rate
        tally.add(counts, now)
        if tally.due(now):
            taken = tally.take(now)
            flushes += 1
            rows += len(taken)
            statements += len(upsert_statements(taken))
            tally.done(taken, True)
    if tally.pending:  # the scheduled flush at the end of the interval
        taken = tally.take(now)
        flushes += 1
        rows += len(taken)
        statements += len(upsert_statements(taken))
    per = 1000 / total
    return {
        "rate_per_s": rate,
        "requests": total,
        "flushes_per_1000": round(flushes * per, 2),
        "statements_per_1000": round(statements * per, 2),
        "rows_per_1000": round(rows * per, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per rate (default 20000)")
    parser.add_argument("--rates", default="1,10,100,1000", help="requests per second per isolate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = parser.parse_args()
    document = compiled_from_sources([str(ROOT / "rules")])
    ruleset = load_ruleset(document)
    results = [measure(ruleset, args.requests, float(rate), args.seed) for rate in args.rates.split(",")]
    print(f"flush every {DEFAULT_FLUSH:g} s or at {DEFAULT_MAX_KEYS} counters; rules/ ({len(ruleset.flags)} flags)")
    print(f"{'requests/s':>11} {'flushes/1k':>11} {'statements/1k':>14} {'rows written/1k':>16}")
    for r in results:
        rate, flushes, statements, rows = (
            r["rate_per_s"],
            r["flushes_per_1000"],
            r["statements_per_1000"],
            r["rows_per_1000"],
        )
        print(f"{rate:>11g} {flushes:>11} {statements:>14} {rows:>16}")
    if args.json:
        print(json.dumps({"flush_seconds": DEFAULT_FLUSH, "max_keys": DEFAULT_MAX_KEYS, "rates": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
