"""Which patterns may be matched against visitor input, and how much input they see."""

import re

import pytest

from swerve_edge.conditions import compile_condition
from swerve_edge.regex_safety import MAX_MATCHED, bounded_search, document_problems, regex_problem
from swerve_edge.ruleset import Event

SAFE = [
    r"^/pricing",
    r"^newsletter$",
    r"(^|\.)google\.",
    r"@example\.com$",
    r"^/docs/.*",
    r"\d+\.\d+",
    r"^/blog/[^/]+/[^/]+$",
    r"^/(en|de)/products/\d+$",
    r"(?:\d{1,3}\.){3}\d{1,3}",
    r"a+b+c+",
    r"(?:foo|bar)+",
    r"[a-z]+-[0-9]+",
    r"(?i)^/Docs/",
    r"\bword\b",
    r"^/shop(/.*)?$",
    r"(?=.*x)",
    r"^[a-z0-9-]+\.example\.com$",
    r"^(?:https?|ftp)://",
    r"-?\d+",
    r"colou?r",
    r"\s*,\s*",
    r"(\w|\d)+",  # one character class to the engine: nothing to choose between
    r"[\w.+-]+@example\.com",
]
REFUSED = {
    r"^/(a+)+$": "nested quantifier",
    r"(a*)*": "nested quantifier",
    r"(a?)*": "nested quantifier",
    r"(\d+\.)+": "nested quantifier",
    r"(?:a{1,100}){1,100}": "nested quantifier",
    r"(\w+)\1": "backreferences",
    r"(a)?(?(1)b|c)": "backreferences",
    r"(a|ab)*c": "an alternative that can match nothing",
    r"(ab|[ab]b)+": "alternatives that can start with the same character",
    r"(?i)(ab|AB)+": "alternatives that can start with the same character",
    r".*a.*": "compete",
    r"[a-z]+[a-z0-9]+!": "compete",
    r".*.*x": "compete",
    r"a?a?a?aaa": "compete",
    r"a{1,100}a{1,100}": "compete",
    r"[^/]+[^.]+": "compete",
    r"\w+\d+": "compete",
    r"^(": "does not compile",
}


@pytest.mark.parametrize("pattern", SAFE)
def test_patterns_without_runaway_backtracking_are_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None


@pytest.mark.parametrize(("pattern", "why"), REFUSED.items())
def test_patterns_that_can_run_away_are_refused_with_the_reason(pattern: str, why: str) -> None:
    problem = regex_problem(pattern)
    assert problem is not None and why in problem, problem


def test_case_insensitive_patterns_are_judged_case_insensitively() -> None:
    assert regex_problem("(a|Ab)+") is None
    assert "alternatives" in regex_problem("(a|Ab)+", ignore_case=True)


def test_matching_sees_at_most_max_matched_characters() -> None:
    search = bounded_search("x$")
    assert search("a" * (MAX_MATCHED - 1) + "x")
    assert not search("a" * MAX_MATCHED + "x")
    never = bounded_search("^/(a+)+$")
    assert not never("/aaa")  # refused: it never matches, whatever the input
    assert not bounded_search(None)("anything")


def test_conditions_and_events_use_the_bounded_matcher() -> None:
    condition = compile_condition({"request.path": {"$regex": "^/docs"}})
    assert condition({"request": {"path": "/docs/x"}})
    assert not condition({"request": {"path": "/docs/" + "x" * MAX_MATCHED}})
    assert not compile_condition({"request.path": {"$regex": "^/(a+)+$"}})({"request": {"path": "/aaa"}})
    # $not of a regex holds for a value too long to match: documented in docs/rules.md.
    negated = compile_condition({"request.path": {"$not": {"$regex": "^/admin"}}})
    assert negated({"request": {"path": "/admin/" + "x" * MAX_MATCHED}})
    event = Event({"name": "e", "path": "^/pricing", "query": {"q": "^(a|a)+$"}})
    assert event.matches("/pricing", {}, "") is False  # the query matcher is refused: never matches
    assert Event({"name": "e", "path": "^/pricing"}).matches("/pricing", {}, "")


def test_document_problems_name_where_each_refused_pattern_is() -> None:
    document = {
        "events": [{"name": "e", "path": "^/(a+)+$", "query": {"q": "ok"}}],
        "flags": [{"key": "f", "rules": [{"when": {"$or": [{"user.id": {"$regexi": "(ab|AB)+"}}]}}]}],
        "segments": [{"name": "s", "when": {"request.path": {"$regex": "^/fine"}}}],
    }
    problems = document_problems(document)
    assert len(problems) == 2
    assert problems[0].startswith("events.e.path: regular expression '^/(a+)+$' is refused")
    assert problems[1].startswith("flags.f: regular expression '(ab|AB)+' is refused")


def test_the_edge_engine_agrees_on_what_compiles() -> None:
    for pattern in [*SAFE, *REFUSED]:
        try:
            re.compile(pattern)
        except re.error:
            assert "does not compile" in regex_problem(pattern)
