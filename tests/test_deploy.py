"""The edge bundle deploys with plain wrangler and stays standard-library only."""

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

WORKER = ROOT / "worker"


def test_wrangler_dry_run_bundles_every_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "wrangler"), "deploy", "--dry-run", "--outdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    bundled = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")}
    expected = {p.relative_to(WORKER).as_posix() for p in WORKER.rglob("*.py")}
    assert bundled == expected
    assert "SWERVE_RULES" in result.stdout


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_worker_imports_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"swerve_edge"}
    for path in WORKER.rglob("*.py"):
        extra = _imports(path) - allowed
        if path.name == "entry.py":
            assert extra == {"js", "pyodide"}, extra
        else:
            assert not extra, (path, extra)
