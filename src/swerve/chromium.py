"""The headless Chromium the browser tests drive: where it is, and how to get it.

``make test`` calls ``ensure()`` (through ``scripts/ensure_chromium.py``) before the
tests. The browser is, in order: ``SWERVE_CHROMIUM`` when set (a path), Debian's
``chromium`` (on PATH, normally /usr/bin/chromium), else the one Playwright's own
installer keeps in its cache. When none is there, ``ensure`` installs Debian's package
with apt-get when it can (as root, or with sudo that asks no password), else runs
Playwright's installer, else stops with the exact command to run.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ENV = "SWERVE_CHROMIUM"
APT_INSTALL = ["apt-get", "install", "-y", "-qq", "chromium"]


def debian_chromium() -> str | None:
    """The browser named by SWERVE_CHROMIUM, else Debian's on PATH; None when absent."""
    explicit = os.environ.get(ENV)
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("chromium")


def playwright_chromium() -> str | None:
    """The Chromium Playwright's installer put in its cache, if any (not with SWERVE_CHROMIUM set)."""
    if os.environ.get(ENV):
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


def launch_path() -> str | None:
    """What the tests pass to Playwright as ``executable_path`` (None: Playwright's own browser)."""
    return debian_chromium()


def _runs(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def apt_prefix() -> list[str] | None:
    """How to run apt-get here: as root, with passwordless sudo, or None when it cannot be done."""
    if shutil.which("apt-get") is None or shutil.which("apt-cache") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and _runs(["sudo", "-n", "true"]):
        return ["sudo", "-n"]
    return None


def apt_has_chromium() -> bool:
    """Whether the package index offers a real ``chromium`` package (not Ubuntu's snap stand-in)."""
    try:
        shown = subprocess.run(["apt-cache", "show", "chromium"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return shown.returncode == 0 and "Package: chromium" in shown.stdout and "snap" not in shown.stdout.lower()


def ensure(python: str, say: Callable[[str], None] = print) -> bool:
    """Make a Chromium available for the browser tests; False (after saying what to run) when it cannot."""
    found = debian_chromium()
    if found and _runs([found, "--version"]):
        return True
    if found:
        say(f"chromium: {found} does not run (`{found} --version` fails)")
    elif os.environ.get(ENV):
        say(f"chromium: {ENV}={os.environ[ENV]} does not exist")
        return False
    if not found:
        try:
            if playwright_chromium():
                return True
        except Exception as exc:  # Playwright missing or broken: the other ways may still work
            say(f"chromium: Playwright's browser cache could not be checked ({exc})")
    prefix = apt_prefix()
    if prefix is not None:
        say("chromium: not installed; installing Debian's package with apt-get (the browser tests need it)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        updated = subprocess.run([*prefix, "apt-get", "update", "-qq"], env=env).returncode == 0
        if updated and apt_has_chromium() and subprocess.run([*prefix, *APT_INSTALL], env=env).returncode == 0:
            found = debian_chromium()
            if found and _runs([found, "--version"]):
                say(f"chromium: installed {found}")
                return True
        say("chromium: apt-get could not install Debian's chromium; trying Playwright's installer")
    installer = [python, "-m", "playwright", "install", "chromium"]
    say("chromium: installing Playwright's Chromium: " + " ".join(installer))
    if subprocess.run(installer).returncode == 0:  # its progress and errors are shown as they come
        try:
            if playwright_chromium():
                return True
        except Exception as exc:
            say(f"chromium: Playwright's browser does not start ({exc})")
    sudo = "" if os.geteuid() == 0 else "sudo "
    say(
        "chromium: no Chromium for the browser tests, and it could not be installed here. Run one of:\n"
        f"  {sudo}apt-get install chromium        (Debian)\n"
        f"  {python} -m playwright install --with-deps chromium   (elsewhere)\n"
        "then run `make test` again."
    )
    return False


def main() -> int:
    """``scripts/ensure_chromium.py``: exit 0 when a Chromium is ready, 1 with the command to run."""
    return 0 if ensure(sys.executable, lambda message: print(message, file=sys.stderr, flush=True)) else 1
