"""Every module of the edge bundle compiles on this Python with no warning (run in each Pyodide too)."""

import warnings
from pathlib import Path

import pytest
from conftest import ROOT

MODULES = sorted((ROOT / "worker").rglob("*.py"))


def test_the_bundle_is_where_expected() -> None:
    assert ROOT / "worker" / "entry.py" in MODULES and len(MODULES) > 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_compiles_without_warnings(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
