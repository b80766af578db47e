"""Checks what `make` needs before installing anything, and says what to do when it is missing."""

import shutil
import subprocess
import sys


def fail(message: str) -> None:
    print(f"swerve: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    # Runs under whatever `python3` is on PATH, which may predate the project's target.
    if sys.version_info < (3, 11):  # noqa: UP036
        fail(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}): install it and run make again")
    node = shutil.which("node")
    if node is None:
        fail("Node.js 20 or newer is needed for the local Workers runtime: install it and run make again")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    major = int(version.lstrip("v").split(".")[0] or 0) if version[:1] == "v" else 0
    if major < 20:
        fail(f"Node.js 20 or newer is needed (found {version or 'an unknown version'}): upgrade it and run make again")
    if shutil.which("npm") is None:
        fail("npm is needed to install the pinned runtime (it comes with Node.js): install it and run make again")


if __name__ == "__main__":
    main()
