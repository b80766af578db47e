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


def swerve(*args: str, persist: Path) -> subprocess.CompletedProcess[str]:
    """Run ``swerve ARGS --persist-to PERSIST`` to the end."""
    env = {**os.environ, "SWERVE_AUTHOR": AUTHOR}
    command = [sys.executable, "-m", "swerve.cli", *args, "--persist-to", str(persist)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)


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
