"""Regular expressions matched against what visitors send, kept to a bounded cost.

Events match the request path, query values and referrer host; ``$regex`` conditions match
any attribute, including ones the visitor controls. Python's ``re`` backtracks, so some
patterns take exponential or high-polynomial time on a hostile input of a few dozen
characters. ``regex_problem`` reads the parsed pattern (``re._parser``) and refuses:

- backreferences and conditional groups (``\\1``, ``(?(1)a|b)``);
- nested quantifiers: a repeated group holding another quantifier, where either may repeat
  without bound (``(a+)+``, ``(\\d+\\.)*``, ``(a?)*``);
- alternatives under an unbounded quantifier that can start with the same character or
  match nothing (``(a|ab)*``, ``(ab|[ab]b)+``);
- quantifiers in sequence that compete for the same characters, with nothing between them
  that only one of them could match (``.*a.*``, ``[a-z]+[a-z0-9]+``, ``a?a?``): each adds a
  factor of the input length; ``\\d+\\.\\d+``, ``[^/]+/[^/]+`` or ``-?\\d+`` are fine.

A quantifier allowing more than ``LARGE`` extra repetitions counts as unbounded. What
remains can still backtrack over every start position and every length of one quantifier's
run, quadratic in the input, so the edge also matches at most ``MAX_MATCHED`` characters: a
longer value never matches (``bounded_search``). ``swerve validate`` and the edge's loader
use this same module.
"""

import re
import unicodedata
from collections.abc import Callable
from re import _constants as c
from re import _parser

MAX_MATCHED = 512
LARGE = 32
_CATEGORY_TESTS = {
    c.CATEGORY_DIGIT: lambda ch: unicodedata.category(ch) == "Nd",
    c.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    c.CATEGORY_SPACE: lambda ch: ch.isspace(),
}
_NEGATED_CATEGORIES = {
    c.CATEGORY_NOT_DIGIT: c.CATEGORY_DIGIT,
    c.CATEGORY_NOT_WORD: c.CATEGORY_WORD,
    c.CATEGORY_NOT_SPACE: c.CATEGORY_SPACE,
}
# Which positive categories can share a character (digits are word characters).
_CATEGORY_MEETS = {
    frozenset({c.CATEGORY_DIGIT, c.CATEGORY_WORD}),
    frozenset({c.CATEGORY_DIGIT}),
    frozenset({c.CATEGORY_WORD}),
    frozenset({c.CATEGORY_SPACE}),
}
_REPEATS = (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT))
_GROUPS = (c.SUBPATTERN, getattr(c, "ATOMIC_GROUP", c.SUBPATTERN))
_SMALL_RANGE = 512


class UnsafePattern(ValueError):
    """A pattern whose matching time could grow without bound on visitor input."""


class CharSet:
    """Characters one position can match: listed ranges and categories, or their complement."""

    __slots__ = ("categories", "negated", "ranges")

    def __init__(self, negated: bool, ranges: tuple[tuple[int, int], ...], categories: frozenset) -> None:
        self.negated = negated
        self.ranges = ranges
        self.categories = categories


def _positive_meets(a: CharSet, b: CharSet) -> bool:
    for lo, hi in a.ranges:
        for lo2, hi2 in b.ranges:
            if lo <= hi2 and lo2 <= hi:
                return True
    for x, y in ((a, b), (b, a)):
        for category in x.categories:
            for lo, hi in y.ranges:
                if _category_meets_range(category, lo, hi):
                    return True
    return any(_categories_meet(p, q) for p in a.categories for q in b.categories)


def _base(category: object) -> tuple[object, bool]:
    return (_NEGATED_CATEGORIES[category], True) if category in _NEGATED_CATEGORIES else (category, False)


def _categories_meet(p: object, q: object) -> bool:
    (p_base, p_not), (q_base, q_not) = _base(p), _base(q)
    if p_not and q_not:
        return True
    if p_not or q_not:
        positive, negative = (q_base, p_base) if p_not else (p_base, q_base)
        # Digits are all word characters: "not word" never meets "digit".
        return not (positive == negative or (positive == c.CATEGORY_DIGIT and negative == c.CATEGORY_WORD))
    return frozenset({p_base, q_base}) in _CATEGORY_MEETS


def _category_meets_range(category: object, lo: int, hi: int) -> bool:
    if hi - lo > _SMALL_RANGE:
        return True
    base, negated = _base(category)
    test = _CATEGORY_TESTS.get(base)
    if test is None:
        return True
    return any(test(chr(code)) != negated for code in range(lo, hi + 1))


def _covers(negative: CharSet, positive: CharSet) -> bool:
    """Whether every character of ``positive`` is among what ``negative`` lists (so the complement misses it)."""
    for category in positive.categories:
        if category not in negative.categories and not (
            category == c.CATEGORY_DIGIT and c.CATEGORY_WORD in negative.categories
        ):
            return False
    for lo, hi in positive.ranges:
        for code in _uncovered(lo, hi, negative.ranges):
            if code is None:
                return False
            if not any(_category_meets_range(cat, code, code) for cat in negative.categories):
                return False
    return True


def _uncovered(lo: int, hi: int, ranges: tuple[tuple[int, int], ...]):
    """Code points in [lo, hi] outside ``ranges``; None once that would be too many to list."""
    pieces = [(lo, hi)]
    for r_lo, r_hi in ranges:
        pieces = [p for a, b in pieces for p in ((a, min(b, r_lo - 1)), (max(a, r_hi + 1), b)) if p[0] <= p[1]]
    for a, b in pieces:
        if b - a > _SMALL_RANGE:
            yield None
            return
        yield from range(a, b + 1)


def meets(a: CharSet, b: CharSet) -> bool:
    """Whether some character is in both sets (True when unsure)."""
    if a.negated and b.negated:
        return True
    if a.negated:
        return not _covers(a, b)
    if b.negated:
        return not _covers(b, a)
    return _positive_meets(a, b)


def _cased(code: int) -> tuple[tuple[int, int], ...]:
    ch = chr(code)
    return tuple((ord(v), ord(v)) for v in {ch, ch.lower(), ch.upper(), ch.swapcase()} if len(v) == 1)


def _char_set(op: object, av: object, ignore_case: bool) -> CharSet:
    if op is c.LITERAL:
        return CharSet(False, _cased(av) if ignore_case else ((av, av),), frozenset())
    if op is c.NOT_LITERAL:
        return CharSet(True, _cased(av) if ignore_case else ((av, av),), frozenset())
    if op is c.ANY:
        # Every character, newline included: as if DOTALL, which only makes the check stricter.
        return CharSet(True, (), frozenset())
    negated = False
    ranges: list[tuple[int, int]] = []
    categories = set()
    for item_op, item_av in av:
        if item_op is c.NEGATE:
            negated = True
        elif item_op is c.LITERAL:
            ranges.extend(_cased(item_av) if ignore_case else ((item_av, item_av),))
        elif item_op is c.RANGE:
            lo, hi = item_av
            ranges.append((lo, hi))
            if ignore_case and hi - lo <= _SMALL_RANGE:
                ranges.extend(r for code in range(lo, hi + 1) for r in _cased(code))
        elif item_op is c.CATEGORY:
            categories.add(item_av)
        else:
            return CharSet(True, (), frozenset())
    return CharSet(negated, tuple(ranges), frozenset(categories))


def _is_unbounded(low: int, high: int) -> bool:
    return high is c.MAXREPEAT or high - low > LARGE


class _Analysis:
    """One pass over a parsed pattern; raises UnsafePattern at the first problem."""

    def __init__(self, ignore_case: bool) -> None:
        # One case mode for the whole pattern: a local (?i:...) makes every part case-insensitive,
        # which can only make the check stricter.
        self.ignore_case = ignore_case

    def sets(self, items: list, *, first_only: bool) -> tuple[list[CharSet], bool]:
        """Character sets the sequence can consume (or start with), and whether it can match nothing."""
        found: list[CharSet] = []
        for op, av in items:
            if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN):
                found.append(_char_set(op, av, self.ignore_case))
                if first_only:
                    return found, False
                continue
            nullable = True
            if op in _GROUPS:
                inner, nullable = self.sets(av[-1] if op is c.SUBPATTERN else av, first_only=first_only)
                found.extend(inner)
            elif op is c.BRANCH:
                nullable = False
                for alternative in av[1]:
                    inner, alt_nullable = self.sets(alternative, first_only=first_only)
                    found.extend(inner)
                    nullable = nullable or alt_nullable
            elif op in _REPEATS:
                inner, body_nullable = self.sets(av[2], first_only=first_only)
                found.extend(inner)
                nullable = av[0] == 0 or body_nullable
            if first_only and not nullable:
                return found, False
        return found, True

    def check_nesting(self, items: list, outer: tuple[int, int] | None) -> None:
        for op, av in items:
            if op in (c.GROUPREF, c.GROUPREF_EXISTS) or str(op).startswith("GROUPREF"):
                raise UnsafePattern("backreferences and conditional groups are not allowed")
            if op in _REPEATS:
                low, high, body = av
                if outer is not None and low != high and (_is_unbounded(*outer) or _is_unbounded(low, high)):
                    raise UnsafePattern(
                        "nested quantifier: a repeated group holds another quantifier (as in `(a+)+`), which can "
                        "take exponential time; repeat only fixed-length parts, or bound the inner one"
                    )
                self.check_nesting(body, (low, high) if high is c.MAXREPEAT or high > 1 else outer)
                if _is_unbounded(low, high):
                    self.check_alternatives(body)
            elif op in _GROUPS:
                self.check_nesting(av[-1] if op is c.SUBPATTERN else av, outer)
            elif op is c.BRANCH:
                for alternative in av[1]:
                    self.check_nesting(alternative, outer)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                self.check_nesting(av[1], outer)

    def check_alternatives(self, items: list) -> None:
        """Inside an unbounded quantifier, alternatives must start differently and match something."""
        for op, av in items:
            if op is c.BRANCH:
                firsts = []
                for alternative in av[1]:
                    first, nullable = self.sets(alternative, first_only=True)
                    if nullable:
                        raise UnsafePattern(
                            "an alternative that can match nothing inside `*` or `+` (as in `(a|ab)*`, which Python "
                            "reads as `(a(|b))*`) can take exponential time: write the alternatives out"
                        )
                    for earlier in firsts:
                        if any(meets(x, y) for x in first for y in earlier):
                            raise UnsafePattern(
                                "alternatives that can start with the same character inside `*` or `+` "
                                "(as in `(ab|[ab]b)+`) can take exponential time"
                            )
                    firsts.append(first)
                for alternative in av[1]:
                    self.check_alternatives(alternative)
            elif op in _GROUPS:
                self.check_alternatives(av[-1] if op is c.SUBPATTERN else av)
            elif op in _REPEATS:
                self.check_alternatives(av[2])

    def flow(self, items: list, open_runs: list[list[CharSet]]) -> list[list[CharSet]]:
        """Follow quantifier runs through the sequence; refuse two that compete for one character.

        A run (what a variable quantifier consumes) stays open until the pattern requires a
        character it cannot consume; a later quantifier that can start with a character an
        open run could also take would make the match try every split between them.
        """
        for op, av in items:
            if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN):
                here = _char_set(op, av, self.ignore_case)
                open_runs = [run for run in open_runs if any(meets(x, here) for x in run)]
            elif op in _GROUPS:
                open_runs = self.flow(av[-1] if op is c.SUBPATTERN else av, open_runs)
            elif op is c.BRANCH:
                merged: list[list[CharSet]] = []
                for alternative in av[1]:
                    for run in self.flow(alternative, open_runs):
                        if not any(run is seen for seen in merged):
                            merged.append(run)
                open_runs = merged
            elif op in _REPEATS:
                low, high, body = av
                if low != high:
                    first, _ = self.sets(body, first_only=True)
                    for run in open_runs:
                        if any(meets(x, y) for x in run for y in first):
                            raise UnsafePattern(
                                "two quantifiers compete for the same characters (as in `.*a.*`, "
                                "`[a-z]+[a-z0-9]+` or `a?a?`), which takes polynomial time: separate them by something "
                                "only one can match, or drop one (a search needs no leading or trailing `.*`)"
                            )
                    self.flow(body, [])
                    run, _ = self.sets(body, first_only=False)
                    open_runs = [*open_runs, run] if low == 0 else [run]
                else:
                    open_runs = self.flow(body, open_runs)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                self.flow(av[1], [])
        return open_runs


def _adds_ignore_case(items: list) -> bool:
    for op, av in items:
        if op is c.SUBPATTERN and (av[1] & re.IGNORECASE or _adds_ignore_case(av[3])):
            return True
        if op in _REPEATS and _adds_ignore_case(av[2]):
            return True
        if op is c.BRANCH and any(_adds_ignore_case(alt) for alt in av[1]):
            return True
        if op in (c.ASSERT, c.ASSERT_NOT) and _adds_ignore_case(av[1]):
            return True
        if op is not c.SUBPATTERN and op in _GROUPS and _adds_ignore_case(av):
            return True
    return False


def regex_problem(pattern: str, ignore_case: bool = False) -> str | None:
    """Why ``pattern`` may not be matched against visitor input, or None when it may."""
    if type(pattern) is not str:
        return "a regular expression must be a string"
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE if ignore_case else 0)
        re.compile(pattern)
    except re.error as exc:
        return f"regular expression {pattern!r} does not compile: {exc}"
    except RecursionError:
        return f"regular expression {pattern!r} is nested too deeply"
    analysis = _Analysis(bool(parsed.state.flags & re.IGNORECASE) or _adds_ignore_case(list(parsed)))
    try:
        analysis.check_nesting(list(parsed), None)
        analysis.flow(list(parsed), [])
    except UnsafePattern as exc:
        return f"regular expression {pattern!r} is refused: {exc}"
    except RecursionError:
        return f"regular expression {pattern!r} is nested too deeply"
    return None


def _never(_text: str) -> bool:
    return False


def bounded_search(pattern: object, flags: int = 0) -> Callable[[str], bool]:
    """``re.search`` that matches at most ``MAX_MATCHED`` characters; never matches when refused."""
    if type(pattern) is not str or regex_problem(pattern, bool(flags & re.IGNORECASE)) is not None:
        return _never
    search = re.compile(pattern, flags).search
    return lambda text: len(text) <= MAX_MATCHED and search(text) is not None


def document_problems(document: dict) -> list[str]:
    """Every refused pattern of a compiled ruleset, as ``where: problem`` (for the loader's log)."""
    found: list[str] = []
    for event in document.get("events", ()):
        name = event.get("name", "?")
        patterns = [("path", event.get("path")), ("referrer", event.get("referrer"))]
        patterns += [(f"query.{k}", v) for k, v in (event.get("query") or {}).items()]
        for field, pattern in patterns:
            if pattern is not None:
                problem = regex_problem(pattern)
                if problem:
                    found.append(f"events.{name}.{field}: {problem}")
    for section, key in (("flags", "key"), ("segments", "name")):
        for entry in document.get(section, ()):
            _conditions(entry, f"{section}.{entry.get(key, '?')}", found)
    return found


def _conditions(value: object, where: str, found: list[str]) -> None:
    if type(value) is dict:
        for key, item in value.items():
            if key in ("$regex", "$regexi") and type(item) is str:
                problem = regex_problem(item, key == "$regexi")
                if problem:
                    found.append(f"{where}: {problem}")
            else:
                _conditions(item, where, found)
    elif type(value) is list:
        for item in value:
            _conditions(item, where, found)
