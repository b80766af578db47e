// Times Swerve's edge evaluator inside one Pyodide (Node, offline): the same runtime
// family as Cloudflare's Python Workers. Usage: node pyodide_eval.mjs VERSION WORKDIR
// VERSION is a Pyodide version or prefix from package.json ("0.26", "0.28", "314");
// WORKDIR holds workload.json (compiled ruleset, attribute contexts). The script loads
// them, prints one JSON line {"version", "python", "load_ms"}, then times one pass over all
// contexts for every line read from stdin and answers each with {"us_per_eval"}: the
// caller interleaves these passes with its own, so machine noise falls on all alike.
import { createInterface } from "node:readline";
import { loadSwervePyodide } from "./pyodide_run.mjs";

const [version, workdir] = process.argv.slice(2);
const { pyodide, version: found } = await loadSwervePyodide(version, [workdir]);
pyodide.globals.set("workload_path", `${workdir}/workload.json`);
const info = JSON.parse(
  await pyodide.runPythonAsync(`
import json, sys, time
from swerve_edge.decide import decide
from swerve_edge.ruleset import load_ruleset
with open(workload_path) as f:
    work = json.load(f)
start = time.perf_counter()
ruleset = load_ruleset(work["ruleset"])
load_ms = (time.perf_counter() - start) * 1000
contexts = work["contexts"]
now = work["now"]
def one_pass():
    start = time.perf_counter()
    n = 0
    for attributes in contexts:
        n += len(decide(ruleset, attributes, now))
    return (time.perf_counter() - start) / n * 1e6
json.dumps({"python": sys.version.split()[0], "load_ms": load_ms})
`),
);
console.log(JSON.stringify({ version: found, ...info }));
const onePass = pyodide.globals.get("one_pass");
for await (const _line of createInterface({ input: process.stdin })) {
  console.log(JSON.stringify({ us_per_eval: onePass() }));
}
