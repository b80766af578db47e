"""Shared test helpers: paths, the tests' own data, and a compiled copy of the demo rules.

Tests carry their data: they never read ``rules/`` (a user edits it, as the README's walk
does) or anything outside this repository. ``fixtures/demo_rules`` is the demo site's
rules as shipped; ``conformance/growthbook`` holds GrowthBook's SDK cases and license.
"""

from pathlib import Path

import pytest

# The browser tests' ``browser`` fixture (one headless Chromium per module).
pytest_plugins = ["browser_support"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO_RULES = FIXTURES / "demo_rules"
GROWTHBOOK_CASES = Path(__file__).resolve().parent / "conformance" / "growthbook" / "cases.json"


@pytest.fixture(scope="session")
def example_document() -> dict:
    """The compiled ruleset of the demo rules (tests/fixtures/demo_rules)."""
    from swerve.build import compiled_from_sources

    return compiled_from_sources([str(DEMO_RULES)])
