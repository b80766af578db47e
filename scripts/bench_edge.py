"""Benchmark: what Swerve costs at the edge, against Python's own tax and GrowthBook's edge app.

In one run, on this machine, in the pinned Miniflare/workerd, for a 29 KB page:
  origin       the origin directly (a local Python HTTP server);
  js           a JavaScript pass-through Worker (the baseline: "added" is over this);
  bare_python  a Python Worker that only forwards (scripts/edge_apps/bare_forwarder.py);
  swerve       Swerve: 50 flags (two targeting rules and a rollout each), 3 HTML rewrites
               and the client bootstrap, recording outcomes into a local D1 (every client
               keeps its cookies, so after its first request it is a returning visitor
               exposed to all 50 flags: 50 request counts per request);
  no_stats     the same Swerve without the D1 binding (recording off), latency only: what
               recording costs is swerve - no_stats;
  growthbook   GrowthBook's Cloudflare edge app (npm @growthbook/edge-cloudflare, bundled with
               esbuild, compatibility date 2024-11-01), its SDK payload in local KV, one
               visual experiment making the same three page changes.
Reported per target: the first request's time (cold); p50/p95/p99 of sequential requests,
interleaved target by target so noise falls on all alike, and what each adds over the JS
pass-through; requests per second with 8 keep-alive clients (rounds interleaved by target);
workerd's resident memory once the target has served --rss-requests requests.
The decomposition of Swerve's own cost, step by step, is bench_edge_steps.py.

Usage: python scripts/bench_edge.py [--requests N] [--rss-requests N] [--json]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from edge_targets import (
    HEADLINE,
    PAGE,
    REWRITES,
    Target,
    bundle_growthbook,
    cold,
    growthbook_payload,
    interleaved,
    percentile,
    rss_after,
    start_baselines,
    start_origin,
    swerve_document,
    swerve_variables,
    throughput,
)

from swerve.local_runtime import LocalEdge

EDGES = ("js", "bare_python", "swerve", "growthbook")


def start_edges(folder: Path, origin_url: str) -> dict[str, LocalEdge]:
    """The four Workers, each in its own workerd (so each one's memory can be read)."""
    growthbook_vars = {
        "PROXY_TARGET": origin_url,
        "NODE_ENV": "production",
        "RUN_VISUAL_EDITOR_EXPERIMENTS": "edge",
        "RUN_URL_REDIRECT_EXPERIMENTS": "browser",
        "ENABLE_STICKY_BUCKETING": "true",
    }
    swerve_vars = swerve_variables(origin_url)
    edges: dict[str, LocalEdge] = {}
    try:
        start_baselines(edges, folder, origin_url)
        document = swerve_document(folder)
        edges["swerve"] = LocalEdge(folder / "kv-swerve", swerve_vars, d1="bench-stats", d1_persist=folder / "d1")
        edges["swerve"].migrate()
        edges["swerve"].publish(document, 1)
        edges["no_stats"] = LocalEdge(folder / "kv-no-stats", swerve_vars)
        edges["no_stats"].publish(document, 1)
        edges["growthbook"] = LocalEdge(
            folder / "kv-growthbook", growthbook_vars, esm=bundle_growthbook(folder), kv_aliases=("KV_GB_PAYLOAD",)
        )
        edges["growthbook"].put("gb_payload", json.dumps(growthbook_payload()))
    except BaseException:
        for edge in edges.values():
            edge.close()
        raise
    return edges


def url_of(edge: LocalEdge) -> str:
    return f"http://{edge.url.hostname}:{edge.url.port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="measured sequential requests per target")
    parser.add_argument("--warmup", type=int, default=40, help="warm-up requests per target")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (each target once per round)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per throughput measurement")
    parser.add_argument("--clients", type=int, default=8, help="keep-alive clients for throughput")
    parser.add_argument("--rss-requests", type=int, default=10_000, help="requests served before reading RSS")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    origin, origin_url = start_origin()
    with tempfile.TemporaryDirectory() as tmp:
        edges = start_edges(Path(tmp), origin_url)
        try:
            targets = {"origin": Target("origin", origin_url)}
            targets.update({name: Target(name, url_of(edge), edge) for name, edge in edges.items()})
            checks = {"swerve": HEADLINE, "growthbook": HEADLINE, "bare_python": PAGE[-200:], "js": PAGE[-200:]}
            cold_ms = {name: cold(targets[name], checks[name]) for name in EDGES}
            body = targets["swerve"].request()[1]
            if b'id="swerve-flags"' not in body or b'id="chat"' in body:
                raise SystemExit("Swerve did not rewrite the page: check the ruleset")
            interleaved(list(targets.values()), args.warmup, args.requests)
            workers = {name: targets[name] for name in EDGES}
            rps = throughput(workers, args.clients, args.rounds, args.seconds)
            rss = rss_after(workers, args.rss_requests, args.clients)
            served = workers[EDGES[-1]].sent
        finally:
            for edge in edges.values():
                edge.close()
            origin.shutdown()

    stats = {name: {q: percentile(t.samples, q) for q in (50, 95, 99)} for name, t in targets.items()}
    added = {name: {q: stats[name][q] - stats["js"][q] for q in (50, 95, 99)} for name in targets}
    print(
        f"page: {len(PAGE):,} bytes; Swerve: 50 flags, {len(REWRITES)} rewrites + bootstrap; GrowthBook: 1 experiment"
    )
    print(f"{args.requests} measured sequential requests per target after {args.warmup} warm-up, interleaved")
    print(f"{'':>12}  {'p50':>7} {'p95':>7} {'p99':>7} | added over js: {'p50':>6} {'p95':>6} {'p99':>6}")
    for name, values in stats.items():
        spread = " ".join(f"{values[q]:7.2f}" for q in (50, 95, 99))
        more = " ".join(f"{added[name][q]:+6.2f}" for q in (50, 95, 99))
        print(f"{name:>12}  {spread} |                {more}  ms")
    print(f"\n{'':>12}  {'cold ms':>8} {f'req/s x{args.clients}':>11} {'RSS MiB':>8}")
    for name in EDGES:
        print(f"{name:>12}  {cold_ms[name]:8.1f} {rps[name]:11.0f} {rss[name]:8.1f}")
    print(f"(req/s: median of {args.rounds} rounds of {args.seconds:g} s; RSS after {served:,}+ requests each)")

    recording = stats["swerve"][50] - stats["no_stats"][50]
    print(f"\nrecording outcomes adds {recording:+.2f} ms at p50 (swerve with D1 - the same without)")
    own = added["swerve"][50] - added["bare_python"][50]
    tax = added["bare_python"][50]
    targets_met = {
        "own work <= python tax (p50)": (own <= tax, f"{own:.2f} vs {tax:.2f} ms"),
        "added p50 <= 0.5 x growthbook's": (
            added["swerve"][50] <= 0.5 * added["growthbook"][50],
            f"{added['swerve'][50]:.2f} vs {0.5 * added['growthbook'][50]:.2f} ms",
        ),
        "req/s >= 60% of bare python": (
            rps["swerve"] >= 0.6 * rps["bare_python"],
            f"{rps['swerve'] / rps['bare_python']:.0%}",
        ),
        "RSS <= bare python + 15 MiB": (
            rss["swerve"] <= rss["bare_python"] + 15,
            f"{rss['swerve'] - rss['bare_python']:+.1f} MiB",
        ),
        "cold <= bare python + 50 ms": (
            cold_ms["swerve"] <= cold_ms["bare_python"] + 50,
            f"{cold_ms['swerve'] - cold_ms['bare_python']:+.1f} ms",
        ),
    }
    print()
    for label, (met, detail) in targets_met.items():
        print(f"{'met' if met else 'MISSED':>6}  {label}: {detail}")
    if args.json:
        out = {
            "added_p50_ms": added["swerve"][50],
            "added_p95_ms": added["swerve"][95],
            "added_p99_ms": added["swerve"][99],
            "bare_python_added_p50_ms": added["bare_python"][50],
            "bare_python_added_p99_ms": added["bare_python"][99],
            "growthbook_added_p50_ms": added["growthbook"][50],
            "growthbook_added_p99_ms": added["growthbook"][99],
            "own_work_p50_ms": own,
            "recording_p50_ms": recording,
            "js_p50_ms": stats["js"][50],
            "origin_p50_ms": stats["origin"][50],
            "swerve_rps_8": rps["swerve"],
            "bare_python_rps_8": rps["bare_python"],
            "js_rps_8": rps["js"],
            "growthbook_rps_8": rps["growthbook"],
            "rss_swerve_mb": rss["swerve"],
            "rss_bare_python_mb": rss["bare_python"],
            "rss_js_mb": rss["js"],
            "rss_growthbook_mb": rss["growthbook"],
            "cold_ms": cold_ms["swerve"],
            "cold_bare_python_ms": cold_ms["bare_python"],
            "cold_js_ms": cold_ms["js"],
            "cold_growthbook_ms": cold_ms["growthbook"],
            "requests": args.requests,
            "rss_requests": served,
        }
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
