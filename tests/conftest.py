"""Shared test helpers: paths and a compiled copy of the example rules."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def example_document() -> dict:
    """The compiled ruleset of the example rules in rules/."""
    from swerve.compiler import compile_rules
    from swerve.validate import has_errors, validate

    rules, findings = validate([str(ROOT / "rules")])
    assert not has_errors(findings), [f.render() for f in findings]
    return compile_rules(rules)
