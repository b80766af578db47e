"""The statistics and the learner give the same numbers in Pyodide as under CPython.

The CLI runs them under CPython and a future in-Worker trigger would run them in Pyodide:
seeded Monte Carlo must not depend on which. Runs Pyodide (node_modules) on Node, offline.
"""

import json
import subprocess
from pathlib import Path

from conftest import ROOT

from swerve_edge.context_weights import weights_for
from swerve_edge.learner import learn
from swerve_edge.stats import chi2_sf, p_best, relative_uplift, wilson

COUNTS = {
    "0.0": {"a": (900, 30), "b": (880, 52)},
    "holdout:0.1": {"a": (120, 9), "b": (130, 4)},
    "1.0": {"a": (400, 22), "b": (410, 20)},
}
PROGRAM = """
import json
from swerve_edge.context_weights import weights_for
from swerve_edge.learner import learn
from swerve_edge.stats import chi2_sf, p_best, relative_uplift, wilson
counts = {k: {a: tuple(v) for a, v in arms.items()} for k, arms in json.loads(COUNTS).items()}
policy = learn(["a", "b"], counts, 2, floor=5, min_units=100, draws=3000, seed="s", top_two=True)
json.dumps({
    "contexts": policy.contexts,
    "unseen": weights_for(policy.contexts, 2, "1.7"),
    "p_best": p_best([(1000, 50), (1000, 62), (990, 55)], 5000, 7),
    "uplift": list(relative_uplift(60, 1000, 50, 1000)),
    "wilson": list(wilson(5, 100)),
    "chi2": chi2_sf(12.3, 7),
})
"""
RUNNER = """
import { loadPyodide } from "pyodide";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
const [root, program, counts] = process.argv.slice(2);
const pyodide = await loadPyodide({ indexURL: join(root, "node_modules", "pyodide") });
pyodide.FS.mkdirTree("/lib/swerve_edge");
const edge = join(root, "worker", "swerve_edge");
for (const name of readdirSync(edge).filter((n) => n.endsWith(".py"))) {
  pyodide.FS.writeFile(`/lib/swerve_edge/${name}`, readFileSync(join(edge, name), "utf8"));
}
pyodide.globals.set("COUNTS", counts);
await pyodide.runPythonAsync("import sys; sys.path.insert(0, '/lib')");
console.log(await pyodide.runPythonAsync(program));
"""


def _cpython() -> dict:
    policy = learn(["a", "b"], COUNTS, 2, floor=5, min_units=100, draws=3000, seed="s", top_two=True)
    return {
        "contexts": policy.contexts,
        "unseen": weights_for(policy.contexts, 2, "1.7"),
        "p_best": p_best([(1000, 50), (1000, 62), (990, 55)], 5000, 7),
        "uplift": list(relative_uplift(60, 1000, 50, 1000)),
        "wilson": list(wilson(5, 100)),
        "chi2": chi2_sf(12.3, 7),
    }


def test_pyodide_gives_the_same_numbers(tmp_path: Path) -> None:
    runner = tmp_path / "run.mjs"
    runner.write_text(RUNNER, encoding="utf-8")
    # The runner imports "pyodide" from the project's node_modules.
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    done = subprocess.run(
        ["node", str(runner), str(ROOT), PROGRAM, json.dumps(COUNTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    in_pyodide = json.loads(done.stdout.strip().splitlines()[-1])
    assert in_pyodide == json.loads(json.dumps(_cpython()))
    assert set(in_pyodide["contexts"]) == {"*.*", "0.*", "0.0", "0.1", "1.*", "1.0"}
