"""Where the Worker's Python memory goes: the entry's modules, a version's ruleset, requests.

Runs the edge's own pure code (what `worker/entry.py` imports, `load_ruleset`,
`plan_request`) on bench_edge's 50-flag workload inside each Pyodide the platform runs
(Node, offline), and reports after each phase the WebAssembly heap (linear memory never
shrinks, so a phase's peak stays in the isolate's memory for good) and Python's own
allocations (tracemalloc: what is held now, and the peak within the phase). For reference
the same phases run in CPython, each interpreter in a fresh process (tracemalloc only).

Phases: `start` (the interpreter, nothing imported), `imports` (the modules the entry
imports), `ruleset` (the 50-flag version loaded and its evaluator compiled), `requests`
(--requests page views: half new visitors, half returning with the cookie they were given).

Then the real Worker in the pinned workerd (edge_apps/heap_probe.py: the entry plus a path
that reports the heap's size) serves bench_edge's page to 8 clients, and at each of
--checkpoints the script reads Pyodide's heap inside the isolate next to workerd's resident
memory: what grows beyond the heap is the JavaScript side, not Python's.

Usage: python scripts/edge_memory.py [--requests N] [--checkpoints N,N,...] [--json]
"""

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ENTRY = Path(__file__).resolve().parent.parent / "worker" / "entry.py"
MIB = 1024 * 1024


def entry_modules() -> list[str]:
    """The ``swerve_edge`` modules worker/entry.py imports, read off its source."""
    found = []
    for node in ast.parse(ENTRY.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module == "swerve_edge":
            found += [f"swerve_edge.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("swerve_edge."):
            found.append(node.module)
    return found


def measure(document_path: str, requests: int, user_agent: str) -> dict:
    """The phases in this interpreter: {phase: {"heap_mb", "held_mb", "peak_mb"}}."""
    import gc
    import importlib
    import tracemalloc

    try:
        import pyodide_js

        def heap() -> float | None:
            return pyodide_js._module.HEAP8.length / MIB
    except ImportError:

        def heap() -> float | None:
            return None

    phases: dict[str, dict] = {}

    def mark(name: str) -> None:
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
        phases[name] = {"heap_mb": heap(), "held_mb": held / MIB, "peak_mb": peak / MIB}
        tracemalloc.reset_peak()

    with open(document_path) as f:
        document = json.load(f)
    tracemalloc.start()
    mark("start")
    for name in entry_modules():
        importlib.import_module(name)
    mark("imports")
    from swerve_edge.config import load_config
    from swerve_edge.plan import Facts, plan_request
    from swerve_edge.ruleset import load_ruleset

    ruleset = load_ruleset(document)
    mark("ruleset")
    secrets = {"ORIGIN_URL": "http://origin", "SWERVE_COOKIE_KEYS": "k" * 32, "SWERVE_STATS_FLUSH_SECONDS": "30"}
    config = load_config(lambda name: secrets.get(name, ""))
    jar: dict[int, str] = {}
    for i in range(requests):
        visitor = i % (requests // 2 or 1)
        headers = {"user-agent": user_agent, "accept": "text/html", "sec-fetch-dest": "document"}
        if visitor in jar:
            headers["cookie"] = jar[visitor]
        facts = Facts("https://www.example.com/", "GET", headers, {"country": "DE"}, 10, 3, 1_800_000_000 + i)
        plan = plan_request(ruleset, config, facts, lambda v=visitor: f"{v:032x}")
        jar[visitor] = "; ".join(c.split(";", 1)[0] for c in plan.set_cookies)
    mark("requests")
    tracemalloc.stop()
    return phases


def _inside(args: list[str]) -> int:
    print(json.dumps({"python": sys.version.split()[0], "phases": measure(args[0], int(args[1]), args[2])}))
    return 0


def in_workerd(checkpoints: list[int]) -> list[dict]:
    """[{"requests", "heap_mb", "rss_mb"}] for the real entry in the pinned workerd."""
    from edge_targets import APPS, Target, rss_after, start_origin, swerve_document, swerve_variables

    from swerve.local_runtime import LocalEdge

    origin, origin_url = start_origin()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "rules").mkdir()
        document = swerve_document(Path(tmp) / "rules")
        edge = LocalEdge(Path(tmp) / "kv", swerve_variables(origin_url), main=APPS / "heap_probe.py")
        try:
            edge.publish(document, 1)
            base = f"http://{edge.url.hostname}:{edge.url.port}"
            target = Target("swerve", base, edge)
            target.request()
            for upto in [1, *checkpoints]:
                rss = rss_after({"swerve": target}, upto)["swerve"]
                heap = int(urllib.request.urlopen(base + "/__heap", timeout=30).read())
                rows.append({"requests": target.sent, "heap_mb": heap / MIB, "rss_mb": rss})
        finally:
            edge.close()
            origin.shutdown()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="page views after the ruleset (default 2000)")
    parser.add_argument(
        "--checkpoints", default="1000,3000,6000,10000", help="requests at which workerd is read (default 1000,...)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    import edge_targets
    from pyodide_runtime import installed_versions, run_in_pyodide

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "document.json"
        path.write_text(json.dumps(edge_targets.swerve_document(Path(tmp))))
        inside = ["--inside", str(path), str(args.requests), edge_targets.BROWSER]
        # Each interpreter starts fresh, so the imports phase sees every module load (this one has them).
        runs = {"cpython": subprocess.run([sys.executable, __file__, *inside], capture_output=True, text=True)}
        for v in installed_versions():
            runs[f"pyodide {v['version']}"] = run_in_pyodide(v["version"], __file__, inside, mounts=[tmp])
        for name, done in runs.items():
            if done.returncode != 0:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{args.requests} page views; MiB after each phase (Python held / peak within the phase / wasm heap)")
    for name, result in results.items():
        cells = []
        for phase, m in result["phases"].items():
            heap = f" / {m['heap_mb']:.0f}" if m["heap_mb"] is not None else ""
            cells.append(f"{phase} {m['held_mb']:.1f} / {m['peak_mb']:.1f}{heap}")
        print(f"{name:>16} (Python {result['python']}): " + "; ".join(cells))
    rows = in_workerd([int(n) for n in args.checkpoints.split(",") if n])
    print("the real Worker in the pinned workerd, 8 clients: requests served -> Pyodide heap / workerd RSS (MiB)")
    print("  " + "; ".join(f"{r['requests']:,} -> {r['heap_mb']:.0f} / {r['rss_mb']:.0f}" for r in rows))
    results["workerd"] = rows
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inside"]:
        sys.exit(_inside(sys.argv[2:]))
    sys.exit(main())
