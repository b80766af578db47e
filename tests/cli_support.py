"""The ``swerve`` CLI as a subprocess against a local state: one run, or a run killed at a step.

``SWERVE_PUSH_PAUSE_AT=<step>`` makes a publishing command (push, advance, learn) print
``paused at <step>`` and wait there, so a test can kill it at exactly that step.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

AUTHOR = "robot@example.com"


def run_swerve(
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str | None] | None = None,
    persist: Path | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run ``swerve ARGS`` in ``cwd`` to the end, with ``--persist-to PERSIST`` when given.

    The environment is this process's with ``SWERVE_AUTHOR`` set, then ``env`` on top (None
    removes a variable).
    """
    full = {**os.environ, "SWERVE_AUTHOR": AUTHOR, **(env or {})}
    command = [sys.executable, "-m", "swerve.cli", *args]
    if persist is not None:
        command += ["--persist-to", str(persist)]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in full.items() if v is not None},
    )


def swerve(*args: str, persist: Path) -> subprocess.CompletedProcess[str]:
    """Run ``swerve ARGS --persist-to PERSIST`` to the end."""
    return run_swerve(*args, persist=persist)


def kill_at(step: str, *args: str, author: str = AUTHOR) -> None:
    """Run ``swerve ARGS`` until it pauses at publishing step ``step``, then SIGKILL it."""
    env = {**os.environ, "SWERVE_AUTHOR": author, "SWERVE_PUSH_PAUSE_AT": step}
    process = subprocess.Popen(
        [sys.executable, "-m", "swerve.cli", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    for line in process.stderr:
        if line.strip() == f"paused at {step}":
            break
        assert time.monotonic() < deadline
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
