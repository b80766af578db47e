"""Benchmark: microseconds per flag evaluation, Swerve vs GrowthBook vs Flagsmith.

One deterministic workload (see eval_workload.py) is evaluated by:
- Swerve's edge evaluator on CPython (rules compiled by the real `swerve` compiler),
- GrowthBook's Python SDK (`growthbook`), one instance with attributes set per visitor,
- Flagsmith's `flagsmith-flag-engine`, one evaluation context per visitor (it evaluates
  every feature of the environment in one call; time is divided by the flag count),
- Swerve's evaluator again inside every Pyodide the platform runs, on Node (offline: npm
  `pyodide` 0.26, what the local workerd embeds, and the package.json aliases for 0.28,
  production's default, and 314, behind a flag).
All engines must agree on each rule outcome (rule 1, rule 2 or rollout); Swerve and
GrowthBook must also agree on every rollout variant (same hash). Each engine gets a
warm-up pass, then --passes rounds run one pass of every engine each, interleaved, so
machine noise falls on all engines alike: the report gives each engine's median and the
median of the ratios measured within a round. For a count that ignores noise altogether,
see eval_instructions.py.

Usage: python scripts/bench_eval.py [--contexts N] [--passes N] [--json]

In the JSON line, `pyodide_*` keys are the local runtime's Pyodide (0.26); `pyodide_versions`
has each version's Python, microseconds per evaluation and ratios to CPython.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import eval_workload as workload
import yaml
from flag_engine.engine import get_evaluation_result
from growthbook import GrowthBook
from pyodide_runtime import installed_versions

from swerve.build import compiled_from_sources
from swerve_edge.decide import decide
from swerve_edge.ruleset import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_800_000_000.0


def compile_workload(specs: list[dict], folder: Path) -> dict:
    (folder / "bench.yaml").write_text(yaml.safe_dump(workload.swerve_rules(specs), sort_keys=False))
    return compiled_from_sources([str(folder)])


def per_eval_us(run_pass) -> float:
    """Microseconds per evaluation of one pass (``run_pass`` returns its evaluation count)."""
    start = time.perf_counter()
    evaluations = run_pass()
    return (time.perf_counter() - start) / evaluations * 1e6


def swerve_outcomes(ruleset, attributes: list[dict]) -> list[list[tuple[str, str]]]:
    out = []
    for attrs in attributes:
        row = []
        for d in decide(ruleset, attrs, NOW):
            row.append((f"rule{d.rule}" if d.reason == "rule" else d.reason, d.variant))
        out.append(row)
    return out


def growthbook_outcomes(features: dict, contexts: list[dict], keys: list[str]) -> list[list[tuple[str, str]]]:
    gb = GrowthBook(features=features)
    out = []
    for ctx in contexts:
        gb.set_attributes(ctx)
        row = []
        for key in keys:
            result = gb.eval_feature(key)
            row.append(("rollout" if result.source == "experiment" else result.ruleId or result.source, result.value))
        out.append(row)
    return out


def flagsmith_outcomes(base: dict, contexts: list[dict], keys: list[str]) -> list[list[str]]:
    out = []
    for ctx in contexts:
        flags = get_evaluation_result(flagsmith_context(base, ctx))["flags"]
        row = []
        for key in keys:
            reason = flags[key]["reason"]
            row.append("rollout" if reason.startswith("SPLIT") else reason.rsplit("-", 1)[-1])
        out.append(row)
    return out


def flagsmith_context(base: dict, ctx: dict) -> dict:
    traits = {k: v for k, v in ctx.items() if k != "id"}
    return {**base, "identity": {"identifier": ctx["id"], "key": ctx["id"], "traits": traits}}


class Pyodide:
    """Swerve's evaluator in one Pyodide on Node, one pass per request (see pyodide_eval.mjs)."""

    def __init__(self, version: str, folder: Path) -> None:
        self.proc = subprocess.Popen(
            ["node", str(ROOT / "scripts" / "pyodide_eval.mjs"), version, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info = self._answer()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("pyodide run failed (see its output above)")
        return json.loads(line)

    def one_pass(self) -> float:
        """Microseconds per evaluation of one pass over all contexts."""
        self.proc.stdin.write("pass\n")
        self.proc.stdin.flush()
        return self._answer()["us_per_eval"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contexts", type=int, default=10_000, help="visitor contexts (default 10000)")
    parser.add_argument("--passes", type=int, default=5, help="timed passes per engine (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    specs = workload.flags()
    keys = [s["key"] for s in specs]
    contexts = workload.contexts(args.contexts)
    attributes = [workload.swerve_attributes(c) for c in contexts]
    with tempfile.TemporaryDirectory() as tmp:
        document = compile_workload(specs, Path(tmp))
    ruleset = load_ruleset(document)
    features = workload.growthbook_features(specs)
    fs_base = workload.flagsmith_context(specs)
    evaluations = len(contexts) * len(keys)

    print(
        f"workload: {len(keys)} flags x {len(contexts):,} contexts = {evaluations:,} evaluations per pass", flush=True
    )
    ours = swerve_outcomes(ruleset, attributes)
    theirs_gb = growthbook_outcomes(features, contexts, keys)
    theirs_fs = flagsmith_outcomes(fs_base, contexts, keys)
    mismatches = {"growthbook": 0, "flagsmith": 0}
    for row_ours, row_gb, row_fs in zip(ours, theirs_gb, theirs_fs, strict=True):
        for (kind, variant), (gb_kind, gb_variant), fs_kind in zip(row_ours, row_gb, row_fs, strict=True):
            mismatches["growthbook"] += (kind, variant) != (gb_kind, gb_variant)
            mismatches["flagsmith"] += kind != fs_kind
    agree = not any(mismatches.values())
    kinds = {
        k: sum(1 for row in ours for o in row if o[0] == k) / evaluations * 100 for k in ("rule1", "rule2", "rollout")
    }
    print("outcomes: " + ", ".join(f"{k} {v:.1f}%" for k, v in kinds.items()))
    print(
        f"agreement: growthbook {mismatches['growthbook']} mismatches, flagsmith {mismatches['flagsmith']} mismatches"
    )

    def swerve_pass() -> int:
        n = 0
        for attrs in attributes:
            n += len(decide(ruleset, attrs, NOW))
        return n

    gb = GrowthBook(features=features)

    def growthbook_pass() -> int:
        for ctx in contexts:
            gb.set_attributes(ctx)
            for key in keys:
                gb.eval_feature(key)
        return evaluations

    def flagsmith_pass() -> int:
        for ctx in contexts:
            get_evaluation_result(flagsmith_context(fs_base, ctx))
        return evaluations

    versions = [v["version"] for v in installed_versions()]
    with tempfile.TemporaryDirectory() as tmp:
        payload = {"ruleset": document, "contexts": attributes, "now": NOW}
        (Path(tmp) / "workload.json").write_text(json.dumps(payload))
        pyodides = {v: Pyodide(v, Path(tmp)) for v in versions}
        try:
            passes = {
                "swerve": lambda: per_eval_us(swerve_pass),
                "growthbook": lambda: per_eval_us(growthbook_pass),
                "flagsmith": lambda: per_eval_us(flagsmith_pass),
                **{f"pyodide {v}": p.one_pass for v, p in pyodides.items()},
            }
            for run in passes.values():  # warm-up
                run()
            runs: dict[str, list[float]] = {name: [] for name in passes}
            for _ in range(args.passes):
                for name, run in passes.items():
                    runs[name].append(run())
        finally:
            for p in pyodides.values():
                p.close()
    local = f"pyodide {versions[0]}"  # the local workerd's Pyodide: the pyodide_* keys
    results = {name: statistics.median(values) for name, values in runs.items()}
    rounds = list(zip(*runs.values(), strict=True))
    names = list(runs)
    in_round = {
        "fastest_peer": [min(r[names.index("growthbook")], r[names.index("flagsmith")]) / r[0] for r in rounds],
        **{f"pyodide {v}": [r[names.index(f"pyodide {v}")] / r[0] for r in rounds] for v in versions},
    }
    ratios = {name: statistics.median(values) for name, values in in_round.items()}
    for name, values in runs.items():
        print(f"{name:>15}: {results[name]:8.3f} us/eval  (passes: {', '.join(f'{v:.3f}' for v in values)})")
    by_version = {}
    for v, p in pyodides.items():
        name = f"pyodide {v}"
        by_version[v] = {
            "python": p.info["python"],
            "us_per_eval": round(results[name], 4),
            "ratio": round(results[name] / results["swerve"], 2),
            "ratio_in_round_median": round(ratios[name], 2),
            "ruleset_load_ms": round(p.info["load_ms"], 1),
        }
        print(
            f"Pyodide {v} (Python {p.info['python']}) on Node: {ratios[name]:.2f}x CPython "
            f"(median of in-round ratios); ruleset load {p.info['load_ms']:.1f} ms there"
        )
    fastest_peer = min(results["growthbook"], results["flagsmith"])
    print(
        f"ratios of medians: growthbook/swerve {results['growthbook'] / results['swerve']:.1f}x, "
        f"flagsmith/swerve {results['flagsmith'] / results['swerve']:.1f}x, "
        f"pyodide {versions[0]}/cpython {results[local] / results['swerve']:.2f}x"
    )
    print(
        "median of in-round ratios: "
        f"fastest peer/swerve {ratios['fastest_peer']:.1f}x "
        f"(rounds: {', '.join(f'{v:.1f}' for v in in_round['fastest_peer'])}), "
        f"pyodide {versions[0]}/cpython {ratios[local]:.2f}x "
        f"(rounds: {', '.join(f'{v:.2f}' for v in in_round[local])})"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "swerve_us_per_eval": round(results["swerve"], 4),
                    "growthbook_us_per_eval": round(results["growthbook"], 4),
                    "flagsmith_us_per_eval": round(results["flagsmith"], 4),
                    "pyodide_us_per_eval": round(results[local], 4),
                    "speedup_vs_fastest_peer": round(fastest_peer / results["swerve"], 2),
                    "speedup_in_round_median": round(ratios["fastest_peer"], 2),
                    "pyodide_ratio": round(results[local] / results["swerve"], 2),
                    "pyodide_ratio_in_round_median": round(ratios[local], 2),
                    "ruleset_load_ms_pyodide": by_version[versions[0]]["ruleset_load_ms"],
                    "pyodide_versions": by_version,
                    "agree": agree,
                    "mismatches": mismatches,
                    "evaluations_per_pass": evaluations,
                    "passes": args.passes,
                }
            )
        )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
