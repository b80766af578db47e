"""Context keys of adaptive flags and the weights a visitor's context gets.

An adaptive rollout describes a visitor by a few features, each cut into buckets; the
context key is the bucket index per feature, dot-joined in declared order (``2.0.1``).
A key may leave its last features unspecified with ``*``: ``2.0.*`` is every visitor in
bucket 2 of the first feature and 0 of the second, ``*.*.*`` is everyone (the global
context). A key's parent collapses its last specified feature: ``2.0.1`` -> ``2.0.*`` ->
``2.*.*`` -> ``*.*.*``. With no features the only key is ``""``.

Holdout visitors (a uniformly random arm, to measure the policy) are recorded under
``holdout:<key>``: their context is known, only the arm was not chosen by the policy.

The learner publishes weights (percent per arm) for the contexts that had enough data;
``weights_for`` gives a visitor the weights of the nearest published ancestor of their
key, and an equal split when there are none (no policy yet, or nothing usable in it).
"""

import math
from collections.abc import Mapping, Sequence

ANY = "*"
HOLDOUT_PREFIX = "holdout:"


def global_key(features: int) -> str:
    """The key of the context holding every visitor: one ``*`` per feature."""
    return ".".join([ANY] * features)


def split_holdout(context: str) -> tuple[str, bool]:
    """``(key, is_holdout)`` of a recorded context string (``holdout:2.0.1`` -> ``("2.0.1", True)``)."""
    if context.startswith(HOLDOUT_PREFIX):
        return context[len(HOLDOUT_PREFIX) :], True
    return context, False


def is_key(key: str, features: int) -> bool:
    """Whether ``key`` is a context key for ``features`` features: bucket indexes, then only ``*``."""
    if features == 0:
        return key == ""
    parts = key.split(".")
    if len(parts) != features:
        return False
    collapsed = False
    for part in parts:
        if part == ANY:
            collapsed = True
        elif collapsed or not part.isdigit() or not part.isascii():
            return False
    return True


def parent_key(key: str) -> str | None:
    """The key with its last specified feature collapsed to ``*``; None for the global key."""
    if key == "":
        return None
    parts = key.split(".")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] != ANY:
            parts[i] = ANY
            return ".".join(parts)
    return None


def lineage(key: str) -> list[str]:
    """``key`` and each of its ancestors, nearest first, ending with the global key."""
    out = [key]
    parent = parent_key(key)
    while parent is not None:
        out.append(parent)
        parent = parent_key(parent)
    return out


def equal_split(arms: int) -> list[float]:
    """100 percent shared equally by ``arms`` arms."""
    return [100.0 / arms] * arms if arms > 0 else []


def _usable(weights: object, arms: int) -> bool:
    if not isinstance(weights, Sequence) or isinstance(weights, str) or len(weights) != arms:
        return False
    total = 0.0
    for w in weights:
        if type(w) not in (int, float) or not math.isfinite(w) or w < 0:
            return False
        total += w
    return total > 0


def nearest(contexts: Mapping[str, object] | None, arms: int, key: str) -> tuple[str | None, list[float]]:
    """``(source, weights)``: which context's weights apply to ``key`` and what they are.

    The entry of ``key`` in the policy's ``contexts`` or else of its nearest ancestor
    (``2.0.1``, ``2.0.*``, ``2.*.*``, ``*.*.*``); ``(None, equal split)`` when none has
    usable weights (one non-negative number per arm, not all 0). Never raises: a damaged
    policy must not fail a request.
    """
    if isinstance(contexts, Mapping) and type(key) is str:
        for candidate in lineage(key):
            weights = contexts.get(candidate)
            if _usable(weights, arms):
                return candidate, [float(w) for w in weights]  # type: ignore[union-attr]
    return None, equal_split(arms)


def weights_for(contexts: Mapping[str, object] | None, arms: int, key: str) -> list[float]:
    """The weights (percent per arm) for a visitor whose context key is ``key`` (see ``nearest``)."""
    return nearest(contexts, arms, key)[1]
