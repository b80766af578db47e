"""Headless Chromium for the browser tests: how it is launched, who it pretends to be, and
the one module-scoped ``browser`` fixture (registered for every test module by conftest).

The browser is Debian's chromium, or Playwright's when that is what `make test` could install
(``swerve.chromium``). Screenshots are kept in out/screenshots/ as test artifacts.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

SHOTS = ROOT / "out" / "screenshots"

# As the machine notes advise: no sandbox as root, and no background connections on a closed network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
ARGS += ["--disable-component-update", "--disable-sync"]
# Headless Chromium says "HeadlessChrome", which Swerve treats as a bot (defaults, no cookies);
# these tests stand in for a person, so they send the User-Agent of desktop Chrome.
PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
VIEW = {"width": 1100, "height": 700}


def launch(playwright: "Playwright") -> "Browser":
    """Headless Chromium: SWERVE_CHROMIUM or Debian's, else the one of Playwright's own installer."""
    from swerve import chromium

    executable = chromium.launch_path()
    if executable is None and not Path(playwright.chromium.executable_path).is_file():
        pytest.fail("no Chromium: `make test` installs one (see scripts/ensure_chromium.py)")
    return playwright.chromium.launch(executable_path=executable, args=ARGS)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    # Imported here: conftest loads this module for every run, the Pyodide ones included,
    # where neither Playwright nor the CLI package exists.
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def shoot(page: object, name: str) -> Path:
    """Screenshot the whole page into SHOTS/``name`` (and check it holds more than a blank page)."""
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path
