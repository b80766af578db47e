// Times Swerve's edge evaluator inside Pyodide (Node, offline): the same runtime
// family as Cloudflare's Python Workers. Usage: node pyodide_eval.mjs WORKDIR
// WORKDIR holds workload.json (compiled ruleset, attribute contexts). The script loads
// them, prints one JSON line {"python", "load_ms"}, then times one pass over all contexts
// for every line read from stdin and answers each with {"us_per_eval"}: the caller
// interleaves these passes with its own, so machine noise falls on both alike.
import { loadPyodide } from "pyodide";
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const workdir = process.argv[2];
const pyodide = await loadPyodide({ indexURL: join(root, "node_modules", "pyodide") });
pyodide.FS.mkdirTree("/bench/swerve_edge");
const edge = join(root, "worker", "swerve_edge");
for (const name of readdirSync(edge).filter((n) => n.endsWith(".py"))) {
  pyodide.FS.writeFile(`/bench/swerve_edge/${name}`, readFileSync(join(edge, name), "utf8"));
}
pyodide.FS.writeFile("/bench/workload.json", readFileSync(join(workdir, "workload.json"), "utf8"));
console.log(
  await pyodide.runPythonAsync(`
import json, sys, time
sys.path.insert(0, "/bench")
from swerve_edge.decide import decide
from swerve_edge.ruleset import load_ruleset
work = json.load(open("/bench/workload.json"))
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
const onePass = pyodide.globals.get("one_pass");
for await (const _line of createInterface({ input: process.stdin })) {
  console.log(JSON.stringify({ us_per_eval: onePass() }));
}
