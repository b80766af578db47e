"""Runs tests with pytest inside Pyodide; started by ``pyodide_tests.py`` through ``pyodide_run.mjs``.

Usage (inside Pyodide): ``pyodide_pytest.py HOST_PYTHON BASETEMP TEST_FILE...``

The edge modules under test run here, in Pyodide. The rule compiler does not: it needs
msgspec and PyYAML (compiled extensions no offline Pyodide has), and in production it runs
in the CLI on CPython anyway. So ``swerve.build.compiled_from_sources`` is a bridge that runs
the real ``swerve compile`` in the host's CPython on the same paths (the repository and
BASETEMP are mounted at their host paths) and hands back the compiled document.
pytest captures output at the ``sys`` level (Pyodide 0.26 has no usable fd-level capture).
Prints ``pyodide V (Python P): N passed, N failed`` last; exits with pytest's status.
"""

import datetime
import json
import sys
import types

import pyodide
import swerve_host


class CompileError(Exception):
    """``swerve compile`` refused the rules; its findings are the message."""


def install_compiler_bridge(host_python: str) -> None:
    """Make ``from swerve.build import compiled_from_sources`` compile in the host's CPython."""

    def compiled_from_sources(
        paths: list[str], strict: bool = False, today: datetime.date | None = None
    ) -> dict[str, object]:
        argv = [host_python, "-m", "swerve.cli", "compile", *paths]
        if strict:
            argv.append("--strict")
        if today is not None:
            argv += ["--today", today.isoformat()]
        result = json.loads(swerve_host.run(json.dumps(argv), ""))
        if result["status"] != 0:
            raise CompileError(result["stderr"].strip())
        return json.loads(result["stdout"])

    package = types.ModuleType("swerve")
    package.__path__ = []
    build = types.ModuleType("swerve.build")
    build.compiled_from_sources = compiled_from_sources
    build.CompileError = CompileError
    package.build = build
    sys.modules["swerve"] = package
    sys.modules["swerve.build"] = build


class Counts:
    """A pytest plugin: sets Pyodide's hypothesis profile and counts outcomes.

    A failing setup, teardown or collection counts as a failure.
    """

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def pytest_configure(self, config) -> None:
        # WebAssembly is slower than CPython: no per-example deadline; and no example
        # database written into the mounted repository.
        from hypothesis import settings

        settings.register_profile("pyodide", deadline=None, database=None)
        settings.load_profile("pyodide")

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.failed += 1
        elif report.passed and report.when == "call":
            self.passed += 1

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.failed += 1


def main(argv: list[str]) -> int:
    """Run the tests; print the counts line."""
    host_python, basetemp, *files = argv
    install_compiler_bridge(host_python)
    import pytest

    counts = Counts()
    options = ["-q", "-p", "no:cacheprovider", "--capture=sys", "--basetemp", basetemp]
    status = pytest.main([*options, *files], plugins=[counts])
    python = sys.version.split()[0]
    print(f"pyodide {pyodide.__version__} (Python {python}): {counts.passed} passed, {counts.failed} failed")
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
