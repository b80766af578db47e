"""What the publishing history says about a flag: when its split last changed, and its learned weights over time.

The history lists every pointer move (push, rollback, ``swerve set``, ``advance``,
``learn``...) with its time; ``load(version)`` returns a published version's document
(``swerve.publish.read_version`` in the command). Versions are loaded once each.
"""

import datetime
from collections.abc import Callable, Sequence

import msgspec

from swerve_edge.ruleset import load_ruleset

from .publish import Pointer

Load = Callable[[int], dict | None]


class WeightPoint(msgspec.Struct, kw_only=True):
    """A policy as published at ``time`` (epoch seconds): context key -> percent per arm."""

    time: int
    contexts: dict[str, list[float]]


def epoch(text: str) -> float | None:
    """An ISO time (``Z`` or an offset; naive means UTC) as epoch seconds; None when it is not one."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _signature(document: dict | None, flag: str) -> tuple | None:
    """What decides the units' split of ``flag`` in a version: per rollout rule, variants and shares."""
    if document is None:
        return None
    try:
        loaded = load_ruleset(document).by_key.get(flag)
    except ValueError:
        return None
    if loaded is None:
        return None
    out: list[tuple] = []
    for rule in loaded.rules:
        if rule.rollout is not None:
            out.append((rule.rollout, tuple(round(b - a, 9) for a, b in rule.ranges)))
        elif rule.adapt is not None:
            # The SRM test of an adaptive flag checks its holdout: what splits those units.
            out.append((rule.adapt.arms, rule.adapt.holdout_bp))
    return (loaded.killed, tuple(out))


def _timeline(history: Sequence[Pointer]) -> list[tuple[float, Pointer]]:
    """History entries with a readable time, oldest first (each is when the pointer moved)."""
    dated = [(epoch(entry.time), entry) for entry in history]
    return sorted(((t, e) for t, e in dated if t is not None), key=lambda pair: pair[0])


def split_changed_at(flag: str, document: dict, history: Sequence[Pointer], load: Load | None) -> float | None:
    """When ``flag``'s split (rollout variants and live shares, kill switch) last changed.

    Walks the pointer moves oldest first, loading each version once; None when it
    cannot be told (no history or no loader) or never changed while recorded.
    """
    timeline = _timeline(history)
    if not timeline or load is None:
        return None
    cache: dict[int, tuple | None] = {}
    changed: float | None = None
    previous: tuple | None = None
    for i, (when, entry) in enumerate(timeline):
        if entry.version not in cache:
            cache[entry.version] = _signature(load(entry.version), flag)
        signature = cache[entry.version]
        if i and signature != previous:
            changed = when
        previous = signature
    if previous != _signature(document, flag):
        # The live document is newer than the last recorded move: its time is unknown.
        return timeline[-1][0]
    return changed


def policy_of(document: dict | None, flag: str) -> tuple[dict[str, list[float]], list[str]]:
    """The learned weights of ``flag`` in a document's live state, and the arms they are listed for."""
    if not document:
        return {}, []
    rules = (document.get("state") or {}).get("flags", {}).get(flag, {}).get("rules", {})
    for _index, entry in sorted(rules.items()):
        policy = entry.get("policy") if isinstance(entry, dict) else None
        if isinstance(policy, dict) and isinstance(policy.get("contexts"), dict):
            return policy["contexts"], list(policy.get("arms") or [])
    return {}, []


def policy_points(flag: str, history: Sequence[Pointer], load: Load | None) -> list[WeightPoint]:
    """An adaptive flag's published weights over time, one point per change (from the history)."""
    points: list[WeightPoint] = []
    if load is None:
        return points
    cache: dict[int, dict[str, list[float]]] = {}
    for when, entry in _timeline(history):
        if entry.version not in cache:
            cache[entry.version] = policy_of(load(entry.version), flag)[0]
        contexts = cache[entry.version]
        if not points or points[-1].contexts != contexts:
            points.append(WeightPoint(time=int(when), contexts=contexts))
    return points


def _adapt_signature(document: dict | None, flag: str) -> tuple | None:
    """What an adaptive flag's recorded contexts and units mean in a version: its arms, features and goal."""
    for spec in (document or {}).get("flags", []):
        if spec.get("key") == flag:
            for rule in spec.get("rules", []):
                adapt = rule.get("adapt") if isinstance(rule, dict) else None
                if isinstance(adapt, dict):
                    return (repr(adapt.get("arms")), repr(adapt.get("features")), adapt.get("goal"))
    return None


def adapt_changed_at(
    flag: str, document: dict, history: Sequence[Pointer], load: Load | None
) -> tuple[float, bool] | None:
    """When ``flag``'s adaptive rule took its current arms, features and goal: ``(time, replaced)``.

    ``replaced`` is True when it replaced another adaptive rule (whose rows, under the same
    context keys, meant something else) and False when the flag was not adaptive before.
    None when it never changed while recorded (or there is no history to tell).
    """
    timeline = _timeline(history)
    if not timeline or load is None:
        return None
    cache: dict[int, tuple | None] = {}
    changed: tuple[float, bool] | None = None
    previous: tuple | None = None
    for i, (when, entry) in enumerate(timeline):
        if entry.version not in cache:
            cache[entry.version] = _adapt_signature(load(entry.version), flag)
        signature = cache[entry.version]
        if i and signature != previous and signature is not None:
            changed = (when, previous is not None)
        previous = signature
    current = _adapt_signature(document, flag)
    if previous != current:
        return (timeline[-1][0], previous is not None)
    return changed
