"""The adaptive policy's learner: Thompson sampling per context, pooled along the context tree.

Input: the arms in the rules' order, and per context key (see ``context_weights``) each
arm's units and conversions on the flag's goal. Holdout rows (``holdout:<key>``) count
as data of their context too: which arm a holdout visitor got was random, but their
context and outcome are as informative as anyone's.

The model, per context and arm, is a Beta-Bernoulli posterior whose prior comes from the
parent context (hierarchical shrinkage, fitted top down):

- the root is every unit of every arm pooled: Beta(1 + C, 1 + U - C);
- each node (the global context, then ``2.*.*``, ``2.0.*``, ``2.0.1``...) gives an arm the
  prior ``Beta(s * m, s * (1 - m))``, where ``m`` is the parent's posterior mean for that
  arm (for the global context: the pooled rate of all arms) and ``s`` a pseudo-count
  bounded by ``prior_units`` (default ``min_units``, at least 2) and by what the parent itself knows
  (its alpha + beta), and adds the node's own counts.

So a context that has just crossed ``min_units`` starts from its parent's view and moves
as its own data grow (at most ``prior_units`` pseudo-units hold it back); an arm added to
the rules starts at the rate of the arms around it, not at an optimistic 50%.

Weights (percent per arm) are each arm's probability of being best under those
posteriors (Monte Carlo, seeded per context so one context's result does not depend on
which others exist), optionally turned into top-two Thompson sampling's allocation (half
the traffic to the likely best arm, half to its strongest challenger: it identifies the
best arm sooner but converts less meanwhile, so plain Thompson sampling is the default), then
mixed with the exploration floor: ``floor + (100 - arms * floor) * p``, rounded to basis
points that sum to exactly 100%. A context gets its own weights only once it has
``min_units`` units; below that its visitors get the nearest ancestor's (the edge's
``weights_for``), and the global context gets an equal split until it has ``min_units``.
"""

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .context_weights import equal_split, global_key, is_key, lineage, split_holdout
from .stats import best_and_runner_up

# Top-two Thompson sampling's chance of playing the leader rather than the challenger.
TOP_TWO_BETA = 0.5
BASIS_POINTS = 10_000


class Policy(NamedTuple):
    """Learned weights: ``contexts`` maps a context key (the global one included) to percent per arm."""

    arms: tuple[str, ...]
    contexts: dict[str, list[float]]
    units: dict[str, int]
    ignored: tuple[str, ...]


def _counts_by_node(
    arms: Sequence[str], counts: Mapping[str, Mapping[str, tuple[int, int]]], features: int
) -> tuple[dict[str, list[list[int]]], list[str]]:
    """Per node of the context tree, ``[units, conversions]`` per arm, summed from its descendants."""
    index = {arm: i for i, arm in enumerate(arms)}
    nodes: dict[str, list[list[int]]] = {global_key(features): [[0, 0] for _ in arms]}
    ignored: list[str] = []
    for context, per_arm in counts.items():
        key, _holdout = split_holdout(context)
        if not is_key(key, features):
            ignored.append(context)
            continue
        for arm, (units, conversions) in per_arm.items():
            i = index.get(arm)
            if i is None:
                continue  # an arm no longer in the rules: its data says nothing about the live arms
            units = max(int(units), 0)
            conversions = min(max(int(conversions), 0), units)
            for node in lineage(key):
                cell = nodes.setdefault(node, [[0, 0] for _ in arms])[i]
                cell[0] += units
                cell[1] += conversions
    return nodes, sorted(ignored)


def _depth(key: str) -> int:
    return sum(1 for part in key.split(".") if part not in ("", "*"))


def _top_two(first: list[float], second: list[float]) -> list[float]:
    """Top-two Thompson sampling's allocation from the leader frequencies.

    The leader is played with probability beta; otherwise a challenger: the leader of a
    fresh posterior draw that is not the first leader, so P(J = a | I = i) = p_a / (1 - p_i).
    When an arm led every draw (1 - p_i is 0), the runner-up frequencies stand in for that
    challenger distribution.
    """
    arms = len(first)
    out = [TOP_TWO_BETA * p for p in first]
    for i, p_i in enumerate(first):
        if p_i == 0:
            continue
        rest = 1 - p_i
        if rest > 1e-12:
            shares = [first[a] / rest if a != i else 0.0 for a in range(arms)]
        else:
            others = sum(second[a] for a in range(arms) if a != i)
            shares = [second[a] / others if a != i and others > 0 else 0.0 for a in range(arms)]
            if others <= 0:
                shares[i] = 1.0
        for a in range(arms):
            out[a] += (1 - TOP_TWO_BETA) * p_i * shares[a]
    return out


def floored(shares: Sequence[float], floor: float) -> list[float]:
    """Percent per arm from shares summing to 1: each gets ``floor`` plus its share of the rest.

    Rounded to basis points by largest remainder, so the weights sum to exactly 100%
    (up to float representation) and none is below ``floor`` (itself rounded to a basis point).
    """
    arms = len(shares)
    floor_bp = round(floor * 100)
    spare = BASIS_POINTS - arms * floor_bp
    if floor_bp < 0 or spare < 0:
        raise ValueError(f"an exploration floor of {floor:g}% per arm does not fit {arms} arms in 100%")
    total = sum(shares)
    norm = [s / total for s in shares] if total > 0 else [1 / arms] * arms
    raw = [spare * s for s in norm]
    base = [int(r) for r in raw]
    left = spare - sum(base)
    for i in sorted(range(arms), key=lambda i: (base[i] - raw[i], i))[:left]:
        base[i] += 1
    return [(floor_bp + b) / 100 for b in base]


def learn(
    arms: Sequence[str],
    counts: Mapping[str, Mapping[str, tuple[int, int]]],
    features: int,
    *,
    floor: float = 0.0,
    min_units: int = 100,
    draws: int = 4000,
    seed: int | str = 0,
    top_two: bool = False,
    prior_units: int | None = None,
) -> Policy:
    """Weights per context for ``arms`` from ``counts[context][arm] = (units, conversions)``.

    ``features`` is the number of features in a context key; rows whose key does not
    fit (another feature list) are left out and named in ``ignored``; arms not in
    ``arms`` are left out silently (removed from the rules). ``floor`` is the minimum
    percent per arm, ``min_units`` the units a context needs before it gets weights of
    its own, ``draws`` the Monte Carlo draws per context, ``seed`` makes the result
    reproducible, ``top_two`` switches to top-two Thompson sampling, ``prior_units``
    bounds the pseudo-units a context borrows from its parent. See the module docstring.
    """
    if not arms:
        raise ValueError("an adaptive policy needs at least one arm")
    if len(set(arms)) != len(arms):
        raise ValueError("arms must be distinct")
    if len(arms) * floor > 100 or floor < 0:
        raise ValueError(f"an exploration floor of {floor:g}% per arm does not fit {len(arms)} arms in 100%")
    # At least a uniform prior's worth, so every Beta parameter stays positive.
    strength = max(2.0, float(min_units if prior_units is None else prior_units))
    nodes, ignored = _counts_by_node(arms, counts, features)
    root_units = sum(u for u, _ in nodes[global_key(features)])
    root_conversions = sum(c for _, c in nodes[global_key(features)])
    root = (1.0 + root_conversions, 1.0 + root_units - root_conversions)
    posteriors: dict[str, list[tuple[float, float]]] = {}
    contexts: dict[str, list[float]] = {}
    units: dict[str, int] = {}
    for key in sorted(nodes, key=lambda k: (_depth(k), k)):
        parent = lineage(key)[1] if key != global_key(features) else None
        priors = posteriors[parent] if parent is not None else [root] * len(arms)
        mine = []
        for (a, b), (n, c) in zip(priors, nodes[key], strict=True):
            s = min(strength, a + b)
            m = a / (a + b)
            mine.append((s * m + c, s * (1 - m) + n - c))
        posteriors[key] = mine
        total = sum(n for n, _ in nodes[key])
        units[key] = total
        if total < min_units:
            if parent is None:
                contexts[key] = equal_split(len(arms))
            continue
        first, second = best_and_runner_up(mine, draws, f"{seed}/{key}")
        shares = _top_two(first, second) if top_two else first
        contexts[key] = floored(shares, floor)
    return Policy(tuple(arms), contexts, units, tuple(ignored))


def moved(old: Mapping[str, Sequence[float]] | None, new: Mapping[str, Sequence[float]], tolerance: float) -> bool:
    """Whether publishing ``new`` would change anything: a context added or dropped, or a weight moved by more than
    ``tolerance`` percentage points."""
    if old is None or set(old) != set(new):
        return True
    for key, weights in new.items():
        before = old[key]
        if len(before) != len(weights) or any(abs(x - y) > tolerance for x, y in zip(before, weights, strict=True)):
            return True
    return False
