"""Run Python in each Pyodide the platform runs, from a host script (tests, benchmarks).

The Pyodide versions are the ``pyodide`` npm package and its ``pyodide-*`` aliases in
package.json; ``pyodide_run.mjs`` loads one offline and runs a file in it, with the
repository mounted at its own path and ``worker/`` on ``sys.path``. For example, a
benchmark runs its workload in every version::

    from pyodide_runtime import installed_versions, run_in_pyodide

    for v in installed_versions():
        done = run_in_pyodide(v["version"], "scripts/my_bench.py", [workdir], mounts=[workdir])
        print(v["version"], v["python"], done.stdout)
"""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "scripts" / "pyodide_run.mjs"


def installed_versions() -> list[dict[str, str]]:
    """The installed Pyodides, oldest first: {"package", "version", "python"}."""
    out = subprocess.run(["node", str(RUNNER), "--versions"], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def pyodide_command(version: str, script: str | Path, args: list[str], mounts: list[str | Path] = ()) -> list[str]:
    """The command that runs ``script`` with ``args`` in Pyodide ``version`` (a version or prefix)."""
    mount_args = [part for m in mounts for part in ("--mount", str(m))]
    return ["node", str(RUNNER), *mount_args, version, str(script), *map(str, args)]


def run_in_pyodide(
    version: str, script: str | Path, args: list[str], mounts: list[str | Path] = (), timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in Pyodide ``version`` and capture its output (``mounts``: host dirs it reads or writes)."""
    command = pyodide_command(version, script, args, mounts)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
