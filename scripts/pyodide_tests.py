"""``make test-pyodide``: the pure edge modules' tests in every Pyodide the platform runs.

Each Pyodide in package.json (``pyodide`` and its ``pyodide-*`` aliases) runs the test
files below with pytest, in Node, offline (``pyodide_run.mjs``, ``pyodide_pytest.py``).
Prints each version with its pass and fail counts, then the totals; exits 1 when any
version failed a test or ran none.

    python scripts/pyodide_tests.py [--pyodide VERSION]... [TEST_FILE...]
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pyodide_runtime import ROOT, installed_versions, pyodide_command

INSIDE = ROOT / "scripts" / "pyodide_pytest.py"
# Tests of plain edge code (worker/swerve_edge) that need neither workerd nor CPython-only
# packages. A new pure edge module's test file goes here.
TESTS = [
    "tests/test_conformance.py",
    "tests/test_bucketing.py",
    "tests/test_decide.py",
    "tests/test_adapt.py",
    "tests/test_weights.py",
    "tests/test_plan.py",
    "tests/test_cookie.py",
    "tests/test_summary.py",
    "tests/test_preview.py",
    "tests/test_html_ops.py",
    "tests/test_bundle.py",
]
COUNTS = re.compile(r"^pyodide (\S+) \(Python (\S+)\): (\d+) passed, (\d+) failed$")


def run_version(version: str, files: list[str], workdir: Path) -> tuple[int, str | None]:
    """Run ``files`` in one Pyodide, streaming its output; (exit status, counts line or None)."""
    basetemp = workdir / version
    command = pyodide_command(version, INSIDE, [sys.executable, str(basetemp), *files], mounts=[workdir])
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    counts = None
    for line in process.stdout:
        print(line, end="", flush=True)
        if COUNTS.match(line.strip()):
            counts = line.strip()
    return process.wait(), counts


def main() -> int:
    """Run every selected version; print the matrix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyodide", action="append", metavar="VERSION", help="only this version (repeatable)")
    parser.add_argument("files", nargs="*", help=f"test files (default: {len(TESTS)} pure edge test files)")
    args = parser.parse_args()
    if not (ROOT / ".cache" / "pyodide" / "site" / ".installed").exists():
        print("the Pyodide test wheels are missing: run make install", file=sys.stderr)
        return 1
    versions = [v["version"] for v in installed_versions()]
    if args.pyodide:
        versions = [v for v in versions if any(v == p or v.startswith(p + ".") for p in args.pyodide)]
    if not versions:
        print("no Pyodide installed for this selection: run make install", file=sys.stderr)
        return 1
    results: list[tuple[str, int, str | None]] = []
    with tempfile.TemporaryDirectory(prefix="swerve-pyodide-") as tmp:
        for version in versions:
            print(f"=== Pyodide {version} ===", flush=True)
            status, counts = run_version(version, args.files or TESTS, Path(tmp))
            results.append((version, status, counts))
    print("\nPyodide matrix:")
    ok = True
    for version, status, counts in results:
        match = COUNTS.match(counts or "")
        ok = ok and status == 0 and match is not None and int(match[3]) > 0 and match[4] == "0"
        print(f"  {counts or f'pyodide {version}: no result (exit status {status})'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
