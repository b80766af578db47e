"""``swerve simulate``: a synthetic population through the edge evaluator.

The population (documented in docs/cli.md) is drawn from a seeded RNG, so a run is
reproducible:

- country: US 40%, GB 10%, DE 10%, IN 8%, FR 6%, BR 6%, CA 5%, JP 5%, AU 4%, NL 3%, ES 3%
- device: mobile 55%, desktop 40%, tablet 5% (bots are left out: they are not counted)
- language from the country; local hour uniform 0-23, weekday uniform 1-7
- path: "/" or one of the literal prefixes of the flags' path scopes, uniformly
- user: anonymous id random; 30% logged in with a user id; plan free 70%, pro 25%,
  enterprise 5%; app version 1.0-3.9
- behavior: sessions 1 + geometric(p=0.5), page views 1-3 per session; each declared
  event happens for 30% of visitors, counted 1 to N times, where N is one more than the
  highest number any condition compares ``behavior.events.<event>`` with (at least 2), so
  a rule such as ``pricing_view >= 3`` is met by part of the population
"""

import math
import random
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import msgspec

from swerve_edge.decide import decide
from swerve_edge.ruleset import Ruleset

_COUNTRIES = (
    ("US", 40),
    ("GB", 10),
    ("DE", 10),
    ("IN", 8),
    ("FR", 6),
    ("BR", 6),
    ("CA", 5),
    ("JP", 5),
    ("AU", 4),
    ("NL", 3),
    ("ES", 3),
)
_LANGUAGES = {
    "US": "en",
    "GB": "en",
    "DE": "de",
    "IN": "hi",
    "FR": "fr",
    "BR": "pt",
    "CA": "en",
    "JP": "ja",
    "AU": "en",
    "NL": "nl",
    "ES": "es",
}
_DEVICES = (("mobile", 55), ("desktop", 40), ("tablet", 5))
_PLANS = (("free", 70), ("pro", 25), ("enterprise", 5))


class FlagExposure(msgspec.Struct, kw_only=True):
    """How one flag's in-scope visitors split across its variants."""

    flag: str
    in_scope: int
    shares: dict[str, float]
    exposed: float
    max_exposure: float | None
    breaks_guardrail: bool


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _literal_prefix(regex_meta: list[str]) -> list[str]:
    prefixes = []
    for pattern in regex_meta:
        cut = min((pattern.find(c) for c in "*?[" if c in pattern), default=len(pattern))
        prefixes.append(pattern[:cut] or "/")
    return prefixes


class Population(NamedTuple):
    """What a synthetic population is drawn from: paths, and each event's highest count."""

    paths: list[str]
    events: dict[str, int]


_EVENT_PREFIX = "behavior.events."


def _numbers(value: Any) -> Iterable[float]:
    """Every finite number inside a condition value (operands of any operator)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        if math.isfinite(value):
            yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _numbers(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _numbers(inner)


def event_thresholds(condition: Any) -> dict[str, float]:
    """The highest number each ``behavior.events.<name>`` is compared with in a condition."""
    found: dict[str, float] = {}
    if not isinstance(condition, dict):
        return found
    for key, value in condition.items():
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            parts = [event_thresholds(item) for item in value]
        elif key == "$not":
            parts = [event_thresholds(value)]
        elif isinstance(key, str) and key.startswith(_EVENT_PREFIX):
            parts = [{key.removeprefix(_EVENT_PREFIX): max(_numbers(value), default=0)}]
        else:
            parts = []
        for part in parts:
            for name, number in part.items():
                found[name] = max(found.get(name, number), number)
    return found


def population_of(documents: Iterable[dict[str, Any]]) -> Population:
    """The population for these documents: their path scopes, events and event thresholds."""
    scopes: list[str] = []
    ceilings: dict[str, int] = {}
    for document in documents:
        scopes += [p for flag in document.get("flags", []) for p in flag.get("meta", {}).get("paths", [])]
        conditions = [s.get("when") for s in document.get("segments", [])]
        conditions += [r.get("when") for f in document.get("flags", []) for r in f.get("rules", [])]
        for condition in conditions:
            for name, number in event_thresholds(condition).items():
                ceilings[name] = max(ceilings.get(name, 2), math.floor(number) + 1)
        for event in document.get("events", []):
            ceilings.setdefault(event["name"], 2)
    return Population(sorted({"/", *_literal_prefix(scopes)}), dict(sorted(ceilings.items())))


def visitor(rng: random.Random, paths: list[str], events: dict[str, int], now: float) -> dict[str, Any]:
    """One synthetic visitor's attributes (see the module docstring for the distribution).

    ``events`` maps each event to the highest count drawn for it.
    """
    country = _pick(rng, _COUNTRIES)
    sessions = 1
    while rng.random() < 0.5:
        sessions += 1
    pageviews = sum(rng.randint(1, 3) for _ in range(sessions))
    counts = {e: rng.randint(1, most) for e, most in events.items() if rng.random() < 0.3}
    user: dict[str, Any] = {
        "anonymous_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "plan": _pick(rng, _PLANS),
        "app_version": f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.0",
    }
    if rng.random() < 0.3:
        user["id"] = f"user-{rng.getrandbits(40)}"
    device = _pick(rng, _DEVICES)
    return {
        "request": {
            "path": rng.choice(paths),
            "query": {},
            "method": "GET",
            "country": country,
            "language": _LANGUAGES[country],
            "device": device,
            "bot": False,
            "hour": rng.randint(0, 23),
            "weekday": rng.randint(1, 7),
            "referrer_host": "",
        },
        "user": user,
        "behavior": {
            "sessions": sessions,
            "pageviews": pageviews,
            "session_pageviews": rng.randint(1, 3),
            "first_seen": now - rng.randint(0, 60) * 86400,
            "last_seen": now - rng.randint(0, 3600),
            "days_since_first_seen": rng.randint(0, 60),
            "events": counts,
        },
    }


def simulate(
    ruleset: Ruleset,
    document: dict[str, Any],
    visitors: int,
    seed: int,
    now: float,
    progress: Callable[[int, int], None] | None = None,
    population: Population | None = None,
) -> list[FlagExposure]:
    """Run ``visitors`` synthetic visitors and return each flag's exposure shares.

    ``population`` (default: drawn from ``document``) lets two rulesets meet the very
    same visitors, as ``diff`` needs.
    """
    rng = random.Random(seed)
    paths, events = population or population_of([document])
    counts: dict[str, Counter[str]] = {flag.key: Counter() for flag in ruleset.flags}
    step = max(visitors // 10, 1)
    for n in range(visitors):
        for decision in decide(ruleset, visitor(rng, paths, events, now), now):
            counts[decision.flag][decision.variant] += 1
        if progress is not None and (n + 1) % step == 0:
            progress(n + 1, visitors)
    meta = {f["key"]: f.get("meta", {}) for f in document.get("flags", [])}
    results = []
    for flag in ruleset.flags:
        seen = counts[flag.key]
        total = sum(seen.values())
        shares = {v: (seen[v] / total * 100 if total else 0.0) for v in flag.variants}
        exposed = 100 - shares.get(flag.default, 0.0) if total else 0.0
        limit = meta.get(flag.key, {}).get("max_exposure")
        results.append(
            FlagExposure(
                flag=flag.key,
                in_scope=total,
                shares=shares,
                exposed=exposed,
                max_exposure=limit,
                breaks_guardrail=limit is not None and exposed > limit,
            )
        )
    return results


def print_progress(done: int, total: int) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(f"simulated {done:,}/{total:,} visitors", file=sys.stderr, flush=True)


def render(results: list[FlagExposure]) -> str:
    """A table of exposure shares per flag and variant, then any broken guardrail."""
    lines = []
    for r in results:
        split = ", ".join(f"{v} {s:.1f}%" for v, s in r.shares.items())
        limit = "" if r.max_exposure is None else f"  (max_exposure {r.max_exposure:g}%)"
        lines.append(f"{r.flag}: {r.in_scope:,} in scope: {split}; exposed {r.exposed:.1f}%{limit}")
    broken = [r for r in results if r.breaks_guardrail]
    for r in broken:
        lines.append(
            f"GUARDRAIL: {r.flag} exposes {r.exposed:.1f}% of its visitors, above max_exposure {r.max_exposure:g}%"
        )
    return "\n".join(lines)
