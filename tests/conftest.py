"""Shared test helpers: paths and a compiled copy of the example rules."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def example_document() -> dict:
    """The compiled ruleset of the example rules in rules/."""
    from swerve.build import compiled_from_sources

    return compiled_from_sources([str(ROOT / "rules")])
