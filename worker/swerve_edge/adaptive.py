"""An ``adapt`` rule at the edge: the visitor's context, the holdout, and the arm.

An adaptive rule (``docs/rules.md``) describes visitors by a few features, each cut into
buckets: numeric ``edges`` make ``len(edges) + 1`` buckets (a value below the first edge is
bucket 0, at or above the last one the last bucket; a missing or non-numeric value counts
as bucket 0), a list of string ``values`` makes one bucket per value plus "other" (the
last bucket, also for a missing value). The visitor's context key is the bucket index per
feature, dot-joined in declared order (``context_weights``).

Everything that does not depend on the visitor is computed here, once per ruleset version:
for every full context (at most ``MAX_CONTEXTS``, so a feature a visitor controls can
never make unbounded contexts) its key, its holdout key (``holdout:<key>``), the weights
its visitors get (the policy's entry for the key or its nearest ancestor, else an equal
split: ``context_weights.nearest``) and those weights as cumulative thresholds over the
rollout hash's 10,000 buckets. Per request the generated evaluator (``evaluator``) then
only computes one integer (the context's index: one bucket lookup per feature) and picks
an arm with one bisection:

- holdout: the visitor's hash under the holdout seed (``<flag seed>:holdout``) below
  ``holdout`` percent; they get a uniformly random arm by their rollout hash, whatever the
  policy says, so they measure the policy's uplift;
- everyone else: the arm whose cumulative threshold range holds their rollout hash.

A visitor who saw an arm of this flag before in the same recorded context keeps it
(stickiness through the summary cookie's exposures); a weight update therefore changes
what new visitors get, never returning ones.
"""

import itertools
import math
from collections.abc import Mapping

from .context_weights import HOLDOUT_PREFIX, nearest

MAX_FEATURES = 4
MAX_CONTEXTS = 64
# Rollout hashes are remainders in [0, SCALE): GrowthBook's buckets times 10,000.
SCALE = 10_000
HOLDOUT_SEED_SUFFIX = ":holdout"


def _number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


class Feature:
    """One feature of the context: an attribute path and how its values become buckets."""

    __slots__ = ("attribute", "buckets", "edges", "values")

    def __init__(self, spec: Mapping) -> None:
        attribute = spec["attribute"]
        if type(attribute) is not str or not attribute:
            raise ValueError(f"a feature's attribute must be a path, not {attribute!r}")
        self.attribute: str = attribute
        self.edges: tuple[float, ...] | None = None
        self.values: dict[str, int] | None = None
        if "edges" in spec:
            edges = spec["edges"]
            if type(edges) is not list or not edges or not all(_number(e) for e in edges):
                raise ValueError(f"{attribute}: edges must be a non-empty list of numbers")
            if any(b <= a for a, b in itertools.pairwise(edges)):
                raise ValueError(f"{attribute}: edges must increase")
            self.edges = tuple(edges)
            self.buckets = len(edges) + 1
        else:
            values = spec["values"]
            if type(values) is not list or not values or not all(type(v) is str for v in values):
                raise ValueError(f"{attribute}: values must be a non-empty list of strings")
            if len(set(values)) != len(values):
                raise ValueError(f"{attribute}: values must be distinct")
            self.values = {v: i for i, v in enumerate(values)}
            self.buckets = len(values) + 1

    def label(self, bucket: int) -> str:
        """What a bucket holds, in words (for ``explain``)."""
        if self.values is not None:
            names = list(self.values)
            return repr(names[bucket]) if bucket < len(names) else "other"
        edges = self.edges or ()
        if bucket == 0:
            return f"below {edges[0]:g}"
        if bucket == len(edges):
            return f"{edges[-1]:g} or more"
        return f"{edges[bucket - 1]:g} up to {edges[bucket]:g}"


def policy_applies(adapt: Mapping, policy: object) -> bool:
    """Whether a learned ``policy`` (live state) was learned for this rule's arms, features and goal.

    Weights learned for other arms, another feature list or another goal mean something
    else: such a policy is ignored (the edge starts from an equal split) and dropped by the
    next push.
    """
    return (
        isinstance(policy, Mapping)
        and policy.get("arms") == adapt.get("arms")
        and policy.get("features", []) == adapt.get("features", [])
        and policy.get("goal") == adapt.get("goal")
    )


def _digits(index: int, features: tuple[Feature, ...]) -> list[int]:
    """The bucket per feature of the full context ``index`` (the first feature varies slowest)."""
    out = []
    for feature in reversed(features):
        index, bucket = divmod(index, feature.buckets)
        out.append(bucket)
    return out[::-1]


def _cumulative(weights: list[float]) -> tuple[int, ...]:
    """Weights (percent) as increasing thresholds over [0, SCALE): arm i holds [t[i-1], t[i])."""
    total = sum(weights)
    running = 0.0
    out = []
    for w in weights:
        running += w
        out.append(round(SCALE * running / total))
    out[-1] = SCALE
    return tuple(out)


class Adaptive:
    """The precomputed data of one ``adapt`` rule (see the module docstring)."""

    __slots__ = (
        "arms",
        "count",
        "cumulative",
        "features",
        "goal",
        "holdout",
        "holdout_bp",
        "holdout_keys",
        "index",
        "keys",
        "learned",
        "sources",
        "strides",
        "weights",
    )

    def __init__(self, spec: Mapping, policy: object) -> None:
        arms = spec["arms"]
        if type(arms) is not list or not arms or not all(type(a) is str for a in arms) or len(set(arms)) != len(arms):
            raise ValueError(f"adapt arms must be distinct variant names, not {arms!r}")
        self.arms: tuple[str, ...] = tuple(arms)
        goal = spec.get("goal")
        self.goal: str | None = goal if type(goal) is str else None
        features = spec.get("features", [])
        if type(features) is not list or len(features) > MAX_FEATURES:
            raise ValueError(f"an adapt rule has at most {MAX_FEATURES} features")
        self.features: tuple[Feature, ...] = tuple(Feature(f) for f in features)
        count = 1
        for feature in self.features:
            count *= feature.buckets
            if count > MAX_CONTEXTS:
                raise ValueError(f"an adapt rule's features make more than {MAX_CONTEXTS} contexts")
        self.count = count
        strides = []
        stride = 1
        for feature in reversed(self.features):
            strides.append(stride)
            stride *= feature.buckets
        self.strides: tuple[int, ...] = tuple(strides[::-1])
        holdout = spec.get("holdout", 10)
        if not _number(holdout) or not 0 <= holdout <= 100:
            raise ValueError(f"holdout must be a percent, not {holdout!r}")
        self.holdout: float = holdout
        self.holdout_bp = round(holdout * SCALE / 100)
        self.learned = policy_applies(spec, policy)
        contexts = policy.get("contexts") if self.learned and isinstance(policy, Mapping) else None
        keys, sources, weights, cumulative = [], [], [], []
        for index in range(count):
            key = ".".join(str(b) for b in _digits(index, self.features))
            source, split = nearest(contexts, len(arms), key)
            keys.append(key)
            sources.append(source)
            weights.append(tuple(split))
            cumulative.append(_cumulative(split))
        self.keys: tuple[str, ...] = tuple(keys)
        self.holdout_keys: tuple[str, ...] = tuple(HOLDOUT_PREFIX + k for k in keys)
        self.sources: tuple[str | None, ...] = tuple(sources)
        self.weights: tuple[tuple[float, ...], ...] = tuple(weights)
        self.cumulative: tuple[tuple[int, ...], ...] = tuple(cumulative)
        self.index: dict[str, int] = {k: i for i, k in enumerate(keys)}

    def describe_context(self, index: int, values: tuple) -> str:
        """``2.0.1 (behavior.events.pricing_view=4: 3 or more, ...)`` for ``explain``."""
        digits = _digits(index, self.features)
        parts = [
            f"{f.attribute}={value!r}: {f.label(b)}" for f, b, value in zip(self.features, digits, values, strict=True)
        ]
        return f"{self.keys[index] or '(no features)'}" + (f" ({'; '.join(parts)})" if parts else "")

    def context_words(self, key: str) -> str:
        """A context key in words, ``*`` for any bucket of a feature (``1.*`` -> ``request.device: other``).

        ``""`` for a key that does not fit this rule's features (rows of an older rule).
        """
        digits = key.split(".") if key else []
        if len(digits) != len(self.features):
            return ""
        parts = []
        for feature, digit in zip(self.features, digits, strict=True):
            if digit == "*":
                continue
            # Exactly the digits the edge writes ("0" up to buckets - 1): the key may come from
            # a D1 row, and str.isdigit() also accepts "²", which int() refuses.
            bucket = next((b for b in range(feature.buckets) if str(b) == digit), None)
            if bucket is None:
                return ""
            parts.append(f"{feature.attribute}: {feature.label(bucket)}")
        return ", ".join(parts) or "everyone"

    def describe_weights(self, index: int) -> str:
        """Which policy entry supplies a context's weights, and the weights per arm."""
        split = ", ".join(f"{arm} {round(w, 2):g}%" for arm, w in zip(self.arms, self.weights[index], strict=True))
        source = self.sources[index]
        if source is None:
            return f"no learned weights for it yet: equal split ({split})"
        if not source.strip("*."):
            return f"weights from the global context {source or '(no features)'} (everyone): {split}"
        return f"weights from context {source}: {split}"
