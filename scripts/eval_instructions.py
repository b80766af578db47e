"""Noise-robust flag evaluation cost: CPU instructions per evaluation, counted by callgrind.

Wall-clock timings move with whatever else the machine runs; instruction counts do not.
For each engine this runs the benchmark workload (eval_workload.py) twice under
``valgrind --tool=callgrind``, once with N visitor contexts and once with none, and
divides the difference by the evaluations: start-up and set-up cancel out. Use it to
compare designs of the evaluator, or engines, on a busy machine (instructions are not
time: cache misses and branch mispredictions are not in them, so confirm the final
numbers with bench_eval.py on a quiet machine).

Usage: python scripts/eval_instructions.py [--contexts N] [--engines swerve,growthbook,flagsmith] [--json]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_eval
import eval_workload as workload

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("swerve", "growthbook", "flagsmith")


def run_engine(engine: str, contexts: int) -> int:
    """Evaluate ``contexts`` visitors with ``engine`` once (what callgrind counts)."""
    specs = workload.flags()
    keys = [s["key"] for s in specs]
    visitors = workload.contexts(max(contexts, 1))[:contexts]
    if engine == "swerve":
        from swerve_edge.decide import decide
        from swerve_edge.ruleset import load_ruleset

        with tempfile.TemporaryDirectory() as tmp:
            ruleset = load_ruleset(bench_eval.compile_workload(specs, Path(tmp)))
        attributes = [workload.swerve_attributes(c) for c in visitors]
        return sum(len(decide(ruleset, a, bench_eval.NOW)) for a in attributes)
    if engine == "growthbook":
        from growthbook import GrowthBook

        gb = GrowthBook(features=workload.growthbook_features(specs))
        for ctx in visitors:
            gb.set_attributes(ctx)
            for key in keys:
                gb.eval_feature(key)
        return len(visitors) * len(keys)
    from flag_engine.engine import get_evaluation_result

    base = workload.flagsmith_context(specs)
    for ctx in visitors:
        get_evaluation_result(bench_eval.flagsmith_context(base, ctx))
    return len(visitors) * len(keys)


def instructions(engine: str, contexts: int) -> int:
    """Instructions callgrind counts for one process evaluating ``contexts`` visitors."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(__file__)),
            "--run",
            engine,
            "--contexts",
            str(contexts),
        ]
        proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
        if proc.returncode != 0:
            raise SystemExit(f"callgrind run failed:\n{proc.stderr[-2000:]}")
        totals = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE) or re.search(
            r"^totals: (\d+)", out.read_text(), re.MULTILINE
        )
        if totals is None:
            raise SystemExit("no instruction total in callgrind's output")
        return int(totals.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contexts", type=int, default=300, help="visitor contexts per measured run (default 300)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines to count")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--run", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_engine(args.run, args.contexts)
        return 0
    evaluations = args.contexts * len(workload.flags())
    per_eval = {}
    for engine in args.engines.split(","):
        counted = instructions(engine, args.contexts) - instructions(engine, 0)
        per_eval[engine] = counted / evaluations
        print(f"{engine:>10}: {per_eval[engine]:10,.0f} instructions per evaluation", flush=True)
    if "swerve" in per_eval:
        for engine, count in per_eval.items():
            if engine != "swerve":
                print(f"{engine}/swerve: {count / per_eval['swerve']:.2f}x")
    if args.json:
        print(json.dumps({f"{k}_instructions_per_eval": round(v) for k, v in per_eval.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
