"""What one request adds to the outcome counts, in units (visitors), not requests.

A randomized decision (a rollout, a sticky rollout, or an adaptive rule's arm) exposes the
visitor to a variant; the signed summary remembers exposures (for adaptive flags with the
context they were decided in) and the goals already counted, so:

- ``exposure``: once per visitor and variant (the first time the summary records it); for
  adaptive flags once per visitor, arm and context, counted under that context;
- ``conversion:<goal>``: once per visitor, exposed flag and goal, for goals that happen
  after the exposure, under the exposure's context (a goal on the very request that first
  exposes the visitor could not have been caused by the variant);
- ``request`` / ``error``: every request of an exposed visitor to a flag in scope, and
  those the origin answered with a 5xx (a share, for the error guardrail).

These counts are only committed when the response carries the updated summary cookie;
otherwise the next request would count the same exposure again (see ``docs/limits.md``).
"""

from typing import NamedTuple

from .decide import ADAPT, ADAPT_STICKY, ROLLOUT, STICKY, Decision
from .ruleset import Ruleset
from .summary import Summary, record_conversion, record_exposures

RANDOMIZED = frozenset({ROLLOUT, STICKY, ADAPT, ADAPT_STICKY})
EXPOSURE = "exposure"
REQUEST = "request"
ERROR = "error"
CONVERSION = "conversion:"
# Selector health, per rewritten page: pages checked, and per operation index the pages
# where its selector matched nothing / it could not apply (``skips``).
PAGE = "page"
MISS = "miss:"
SKIP = "skip:"
# Selector health is checked on every one of the first HEALTH_ALL_PAGES pages an isolate
# rewrites with a ruleset version, then on one page in HEALTH_SAMPLE: a check costs each
# page a JS object per operation (docs/outcomes.md), and a sample tells a broken selector
# as surely (``miss:<i>`` against ``page`` of the same pages).
HEALTH_ALL_PAGES = 64
HEALTH_SAMPLE = 16


class Count(NamedTuple):
    """One increment of one outcome counter."""

    flag: str
    variant: str
    context: str
    metric: str


class Outcomes(NamedTuple):
    """A request's counts: ``counts`` go with the cookie, ``exposed`` get request/error counts."""

    counts: list[Count]
    exposed: list[tuple[str, str, str]]


NONE = Outcomes([], [])

# ``Count(...)`` runs the named tuple's Python ``__new__``; the per-request lists below (one
# count per exposed flag, dozens a request) build the same tuples directly, at half the cost.
_new = tuple.__new__


def record_decisions(summary: Summary, decisions: list[Decision], counted: bool) -> Outcomes:
    """Record exposures in ``summary``; with ``counted``, return the counts they make.

    Call after the goals of this request were recorded (``record_goals``), so a goal and a
    first exposure on the same request do not make a conversion.
    """
    randomized = [(d.flag, d.variant, d.context) for d in decisions if d.reason in RANDOMIZED]
    firsts = record_exposures(summary, randomized)
    if not counted:
        return Outcomes([], [])
    pairs = zip(randomized, firsts, strict=True)
    counts = [_new(Count, (flag, variant, context, EXPOSURE)) for (flag, variant, context), first in pairs if first]
    return Outcomes(counts, randomized)


def record_goals(ruleset: Ruleset, summary: Summary, events: list[str]) -> list[Count]:
    """Conversions for goal ``events`` that happened now, over the flags the visitor was exposed to."""
    counts: list[Count] = []
    if not events:
        return counts
    for flag_key, variant in list(summary.exposures.items()):
        flag = ruleset.by_key.get(flag_key)
        if flag is None or variant not in flag.variants:
            continue
        for goal in flag.goals:
            if goal in events and record_conversion(summary, flag_key, goal):
                counts.append(Count(flag_key, variant, summary.contexts.get(flag_key, ""), CONVERSION + goal))
    return counts


def error_counts(exposed: list[tuple[str, str, str]], status: int) -> list[Count]:
    """``request`` (and ``error`` for a 5xx) per exposed flag, once the origin answered."""
    out = [_new(Count, (flag, variant, context, REQUEST)) for flag, variant, context in exposed]
    if status >= 500:
        out.extend(_new(Count, (flag, variant, context, ERROR)) for flag, variant, context in exposed)
    return out


def page_counts(ops: list[tuple[str, str, int]], hits: list[bool]) -> list[Count]:
    """Selector health of one rewritten page: ``page`` per variant, ``miss:<i>`` per operation that
    matched nothing (``ops`` and ``hits`` in the same order)."""
    counts: list[Count] = []
    seen: set[tuple[str, str]] = set()
    for (flag, variant, index), hit in zip(ops, hits, strict=True):
        if (flag, variant) not in seen:
            seen.add((flag, variant))
            counts.append(Count(flag, variant, "", PAGE))
        if not hit:
            counts.append(Count(flag, variant, "", f"{MISS}{index}"))
    return counts


def health_checked(page: int) -> bool:
    """Whether the ``page``-th page (from 1) an isolate rewrites with a ruleset version is checked."""
    return page <= HEALTH_ALL_PAGES or page % HEALTH_SAMPLE == 0


def skip_counts(skips: dict[tuple[str, str, int], int]) -> dict[Count, int]:
    """``skip:<i>`` totals from the isolate's skipped operations (``Skips.take``)."""
    return {Count(flag, variant, "", f"{SKIP}{index}"): n for (flag, variant, index), n in skips.items()}
