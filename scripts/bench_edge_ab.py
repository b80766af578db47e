"""Benchmark: Swerve's Worker at several commits, side by side in one interleaved run.

Each REV (a commit, branch or tag; ``.`` is the working tree) is served from its own
``worker/`` in the pinned workerd, next to a JavaScript pass-through and the bare Python
forwarder, all with the bench_edge.py workload (29 KB page, 50 flags, 3 rewrites and the
bootstrap, no D1). Requests go to each target in turn, so load on the machine falls on
all alike. Reported per target: p50/p95/p99 added over the pass-through, workerd CPU
time per request over the measured requests (less sensitive to a busy machine than
latency), the first request's time and, with ``--rps``, requests/s with 8 clients.

Usage: python scripts/bench_edge_ab.py [--requests N] [--rps] REV[=LABEL] ...
  e.g. python scripts/bench_edge_ab.py main=before .=after main=before2 .=after2
"""

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from edge_targets import (
    ROOT,
    Target,
    cold,
    interleaved,
    percentile,
    start_baselines,
    start_origin,
    swerve_document,
    swerve_variables,
    throughput,
)

from swerve.local_runtime import LocalEdge

CHECKOUT = ("worker", "scripts/edge_runtime.mjs", "scripts/local_state.mjs")


def checkout(rev: str, folder: Path) -> Path:
    """The edge runtime of ``rev`` (its worker/ and runtime script) under ``folder``."""
    if rev == ".":
        return ROOT / "scripts" / "edge_runtime.mjs"
    archive = subprocess.run(["git", "archive", rev, *CHECKOUT], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    os.symlink(ROOT / "node_modules", folder / "node_modules")
    return folder / "scripts" / "edge_runtime.mjs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="+", metavar="REV[=LABEL]")
    parser.add_argument("--requests", type=int, default=500, help="measured sequential requests per target")
    parser.add_argument("--warmup", type=int, default=40, help="warm-up requests per target")
    parser.add_argument("--rps", action="store_true", help="also measure requests/s with 8 keep-alive clients")
    args = parser.parse_args()

    origin, origin_url = start_origin()
    swerve_vars = swerve_variables(origin_url)
    edges: dict[str, LocalEdge] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        document = swerve_document(folder)
        try:
            start_baselines(edges, folder, origin_url)
            for i, spec in enumerate(args.revs):
                rev, _, label = spec.partition("=")
                label = label or rev
                if label in edges:
                    raise SystemExit(f"two targets are called {label!r}: give each REV its own =LABEL")
                runtime = checkout(rev, folder / f"rev-{i}")
                edges[label] = LocalEdge(folder / f"kv-{i}", swerve_vars, runtime=runtime)
                edges[label].publish(document, 1)
            targets = {name: Target(name, f"http://{e.url.hostname}:{e.url.port}", e) for name, e in edges.items()}
            cold_ms = {name: cold(target) for name, target in targets.items()}
            interleaved(list(targets.values()), args.warmup, 0)
            cpu_before = {name: edge.workerd_cpu_seconds() for name, edge in edges.items()}
            interleaved(list(targets.values()), 0, args.requests)
            cpu_ms = {
                name: (edge.workerd_cpu_seconds() - cpu_before[name]) * 1000 / args.requests
                for name, edge in edges.items()
            }
            rps = throughput(targets) if args.rps else {}
        finally:
            for edge in edges.values():
                edge.close()
            origin.shutdown()

    js = {q: percentile(targets["js"].samples, q) for q in (50, 95, 99)}
    print(f"{args.requests} measured sequential requests per target, interleaved; js pass-through p50 {js[50]:.2f} ms")
    header = f"{'':>14}  added: {'p50':>6} {'p95':>6} {'p99':>6}  {'cpu ms/req':>10}  {'cold ms':>8}"
    print(header + ("  req/s x8" if rps else ""))
    for name, target in targets.items():
        added = " ".join(f"{percentile(target.samples, q) - js[q]:+6.2f}" for q in (50, 95, 99))
        line = f"{name:>14}         {added}  {cpu_ms[name]:10.2f}  {cold_ms[name]:8.1f}"
        print(line + (f"  {rps[name]:9.0f}" if rps else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
