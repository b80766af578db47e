"""Benchmark: Swerve's edge cost taken apart, one step of the entry at a time.

Variants of the Worker, each doing one step more than the one before, all in the pinned
workerd, measured interleaved against a JavaScript pass-through:
  bare_python  fetch the origin and return it (scripts/edge_apps/bare_forwarder.py);
  facts        + config and the request read into ``Facts`` (entry_steps.py);
  plan         + the ruleset and ``plan_request``: decide 50 flags, cookie decode/encode;
  respond      + response headers and a new Response (no HTMLRewriter);
  swerve       the real worker/entry.py: + HTMLRewriter with 3 rewrites and the bootstrap.
For each: the first request's time, p50/p95/p99 added over the pass-through, and what the
step adds over the previous one; with --rss N, workerd's resident memory once each variant
has served N requests (which step brings the memory over the bare forwarder's). The step
variants call worker/entry.py's own helpers (see entry_steps.py), so this reruns as the
entry changes.

Usage: python scripts/bench_edge_steps.py [--requests N] [--rps] [--rss N] [--json]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from edge_targets import (
    APPS,
    HEADLINE,
    PAGE,
    Target,
    cold,
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

STEPS = ("bare_python", "facts", "plan", "respond", "swerve")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="measured sequential requests per variant")
    parser.add_argument("--warmup", type=int, default=40, help="warm-up requests per variant")
    parser.add_argument("--rps", action="store_true", help="also measure requests/s with 8 keep-alive clients")
    parser.add_argument("--rss", type=int, default=0, metavar="N", help="read workerd's RSS after N requests each")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    origin, origin_url = start_origin()
    swerve_vars = swerve_variables(origin_url)
    edges: dict[str, LocalEdge] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        document = swerve_document(folder)
        try:
            start_baselines(edges, folder, origin_url)
            for step in ("facts", "plan", "respond"):
                variables = {**swerve_vars, "SWERVE_BENCH_STEP": step}
                edges[step] = LocalEdge(folder / f"kv-{step}", variables, main=APPS / "entry_steps.py")
            edges["swerve"] = LocalEdge(folder / "kv-swerve", swerve_vars)
            for name in ("plan", "respond", "swerve"):
                edges[name].publish(document, 1)
            targets = {name: Target(name, f"http://{e.url.hostname}:{e.url.port}", e) for name, e in edges.items()}
            cold_ms = {
                name: cold(target, HEADLINE if name == "swerve" else PAGE[-200:]) for name, target in targets.items()
            }
            interleaved(list(targets.values()), args.warmup, args.requests)
            rps = throughput(targets) if args.rps else {}
            rss = rss_after(targets, args.rss) if args.rss else {}
        finally:
            for edge in edges.values():
                edge.close()
            origin.shutdown()

    stats = {name: {q: percentile(t.samples, q) for q in (50, 95, 99)} for name, t in targets.items()}
    added = {name: {q: stats[name][q] - stats["js"][q] for q in (50, 95, 99)} for name in STEPS}
    print(f"{args.requests} measured sequential requests per variant after {args.warmup} warm-up, interleaved")
    print(f"js pass-through p50 {stats['js'][50]:.2f} ms; below, what each variant adds over it")
    print(
        f"{'':>12}  {'p50':>6} {'p95':>6} {'p99':>6}  {'step p50':>8}  {'cold ms':>8}"
        + ("  req/s x8" if rps else "")
        + ("  RSS MiB" if rss else "")
    )
    previous = None
    for name in STEPS:
        step = added[name][50] - added[previous][50] if previous else added[name][50]
        line = f"{name:>12}  " + " ".join(f"{added[name][q]:+6.2f}" for q in (50, 95, 99))
        line += f"  {step:+8.2f}  {cold_ms[name]:8.1f}" + (f"  {rps[name]:9.0f}" if rps else "")
        line += f"  {rss[name]:7.1f}" if rss else ""
        print(line)
        previous = name
    if rss:
        print(f"RSS after {args.rss:,}+ requests each; js pass-through {rss['js']:.1f} MiB")
    print(
        f"Swerve's own work (swerve - bare_python, p50): {added['swerve'][50] - added['bare_python'][50]:.2f} ms; "
        f"Python's tax (bare_python, p50): {added['bare_python'][50]:.2f} ms"
    )
    if args.json:
        out: dict[str, float] = {"js_p50_ms": stats["js"][50]}
        for name in STEPS:
            out[f"{name}_added_p50_ms"] = added[name][50]
            out[f"{name}_added_p99_ms"] = added[name][99]
            out[f"{name}_cold_ms"] = cold_ms[name]
            if rps:
                out[f"{name}_rps_8"] = rps[name]
            if rss:
                out[f"{name}_rss_mb"] = rss[name]
        if rps:
            out["js_rps_8"] = rps["js"]
        if rss:
            out["js_rss_mb"] = rss["js"]
        print(json.dumps({k: round(v, 3) for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
