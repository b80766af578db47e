"""A compiled ruleset document turned into evaluation objects, once per version.

The CLI writes the document (see ``docs/rules.md``, "Compiled format"); this module
reads it at the edge. Everything that can be decided before a request is decided
here: rollout seeds become FNV states, path scopes become compiled regexes, schedules
are epoch seconds, each rollout's live weights (the rule file's, moved by the document's
``state``: see ``weights``) become bucket ranges, each adaptive rule's contexts and learned
weights become lookup tables (``adaptive``), and the whole version becomes one generated
evaluator function (``evaluator``), compiled once.
"""

import re
from collections.abc import Callable

from . import evaluator
from .adaptive import HOLDOUT_SEED_SUFFIX, Adaptive
from .bucketing import SeedBatch, bucket_ranges, seed_state
from .operations import Dropped, Operation, prepare
from .regex_safety import bounded_search
from .weights import effective_weights

# Format 2: rollouts carry weights (percent) and coverage; ranges are computed here.
FORMAT = 2


class RulesetError(ValueError):
    """The document is not a compiled Swerve ruleset this edge can read."""


class NewerFormat(RulesetError):
    """The document was compiled for a newer Worker than this one."""


class Variant:
    """One variant: the client value, its HTML operations and an optional origin path."""

    __slots__ = ("dropped", "index", "key", "ops", "serve_path", "value")

    def __init__(self, index: int, spec: dict) -> None:
        self.index = index
        self.key: str = spec["key"]
        self.value = spec.get("value")
        # Operations are checked now, not mid-stream: those this Worker cannot apply are dropped.
        self.ops: tuple[Operation, ...]
        self.dropped: tuple[Dropped, ...]
        self.ops, self.dropped = prepare(spec.get("ops", []))
        self.serve_path: str | None = spec.get("serve_path")


class Rule:
    """One targeting rule: a condition and segments leading to a variant, a rollout or an adaptive policy."""

    __slots__ = ("adapt", "index", "live", "ranges", "rollout", "segments", "targets_bots", "variant", "when")

    def __init__(self, index: int, spec: dict, segment_index: dict[str, int], state: dict, control: str | None) -> None:
        self.index = index
        # The condition document as written (an empty one is no condition); the evaluator inlines it.
        self.when: object = spec.get("when") or None
        self.segments: tuple[int, ...] = tuple(segment_index[name] for name in spec.get("segments", ()))
        self.variant: str | None = spec.get("variant")
        rollout = spec.get("rollout")
        self.rollout: tuple[str, ...] | None = tuple(rollout["variants"]) if rollout else None
        self.ranges: tuple[tuple[float, float], ...] = _ranges(rollout, state, control) if rollout else ()
        # Variants a sticky visitor may keep: a rollout that gives one no share ends it.
        pairs = zip(self.rollout or (), self.ranges, strict=True)
        self.live: frozenset[str] = frozenset(v for v, (a, b) in pairs if b > a)
        adapt = spec.get("adapt")
        # An adaptive rule: its contexts, holdout and the live policy's weights (``adaptive``).
        self.adapt: Adaptive | None = Adaptive(adapt, state.get("policy")) if adapt else None
        self.targets_bots: bool = bool(spec.get("targets_bots"))


def _ranges(rollout: dict, state: dict, control: str | None) -> tuple[tuple[float, float], ...]:
    weights = effective_weights(rollout, state, control)
    total = sum(weights)
    coverage = rollout.get("coverage", 100) / 100
    if total <= 0:
        # Every variant stopped: nobody enters (bucket_ranges would fall back to equal weights).
        return tuple((0.0, 0.0) for _ in weights)
    return tuple(bucket_ranges(len(weights), coverage, [w / total for w in weights]))


class Flag:
    """A flag ready to decide: everything precomputed from its compiled spec."""

    __slots__ = (
        "client",
        "control",
        "default",
        "end",
        "goals",
        "holdout_lane",
        "holdout_state",
        "key",
        "killed",
        "lane",
        "paths",
        "prerequisites",
        "rollout_key_path",
        "rules",
        "seed_state",
        "start",
        "sticky",
        "variants",
    )

    def __init__(self, spec: dict, segment_index: dict[str, int], state: dict) -> None:
        self.key: str = spec["key"]
        self.variants: dict[str, Variant] = {v["key"]: Variant(i, v) for i, v in enumerate(spec["variants"])}
        self.default: str = spec["default"]
        self.killed: bool = bool(spec.get("killed")) or state.get("killed") is True
        schedule = spec.get("schedule") or {}
        self.start: float | None = schedule.get("start")
        self.end: float | None = schedule.get("end")
        self.prerequisites: tuple[tuple[str, frozenset[str]], ...] = tuple(
            (p["flag"], frozenset(p["variants"])) for p in spec.get("prerequisites", ())
        )
        paths = spec.get("paths")
        self.paths: Callable[[str], object] | None = re.compile(paths).match if paths else None
        control = spec.get("control", self.default)
        self.control: str = control
        # Events whose first occurrence after an exposure counts as a conversion (issue 8).
        self.goals: tuple[str, ...] = tuple(spec.get("goals", ()))
        rule_states = state.get("rules", {})
        self.rules: tuple[Rule, ...] = tuple(
            Rule(i, r, segment_index, rule_states.get(str(i), {}), control) for i, r in enumerate(spec.get("rules", ()))
        )
        self.rollout_key_path: str = spec.get("rollout_key", "user.anonymous_id")
        self.seed_state = seed_state(spec.get("seed", self.key))
        # Position in the ruleset's SeedBatch for this rollout key (set by Ruleset); adaptive
        # rules also hash the key under the holdout seed, in their own lane.
        self.lane = -1
        self.holdout_lane = -1
        adaptive = any(rule.adapt for rule in self.rules)
        self.holdout_state = seed_state(spec.get("seed", self.key) + HOLDOUT_SEED_SUFFIX) if adaptive else 0
        self.client: bool = bool(spec.get("client"))
        self.sticky: bool = spec.get("sticky", True)


class Segment:
    """A named condition, possibly built on earlier segments (the compiler orders them)."""

    __slots__ = ("name", "requires", "when")

    def __init__(self, spec: dict, segment_index: dict[str, int]) -> None:
        self.name: str = spec["name"]
        self.when: object = spec.get("when") or None
        self.requires: tuple[int, ...] = tuple(segment_index[name] for name in spec.get("segments", ()))


class Event:
    """A behavior event counted when a request's path, query or referrer matches."""

    __slots__ = ("client", "name", "path", "query", "referrer")

    def __init__(self, spec: dict) -> None:
        self.name: str = spec["name"]
        # Visitors choose these inputs: matching is bounded (regex_safety), refused patterns never match.
        self.path = bounded_search(spec["path"]) if spec.get("path") else None
        self.query = tuple((k, bounded_search(v)) for k, v in sorted(spec.get("query", {}).items()))
        self.referrer = bounded_search(spec["referrer"]) if spec.get("referrer") else None
        self.client: bool = bool(spec.get("client"))

    def matches(self, path: str, query: dict, referrer_host: str) -> bool:
        """Whether a request counts as this event (every given matcher must match)."""
        if self.path is None and not self.query and self.referrer is None:
            return False
        if self.path is not None and not self.path(path):
            return False
        for name, search in self.query:
            value = query.get(name)
            if type(value) is not str or not search(value):
                return False
        return self.referrer is None or bool(referrer_host and self.referrer(referrer_host))


class Ruleset:
    """The evaluation objects of one compiled ruleset version, and its generated evaluator.

    ``evaluate(attributes, now, exposures, None)`` is the compiled evaluator (``decide``
    calls it); ``traced()`` compiles, once, the same evaluator with reason chains, and
    ``previewing(traced)`` the one that forces a preview's variants.
    """

    __slots__ = (
        "_previewing",
        "_traced",
        "batches",
        "by_key",
        "content_hash",
        "evaluate",
        "events",
        "flags",
        "prerequisite_keys",
        "segments",
    )

    def __init__(
        self, flags: tuple[Flag, ...], segments: tuple[Segment, ...], events: tuple[Event, ...], content_hash: str
    ) -> None:
        self.flags = flags
        self.segments = segments
        self.events = events
        self.content_hash = content_hash
        self.by_key = {flag.key: flag for flag in flags}
        self.prerequisite_keys = frozenset(p for flag in flags for p, _ in flag.prerequisites)
        # One hash batch per rollout key attribute, over the flags that roll out on it.
        states: dict[str, list[int]] = {}
        for flag in flags:
            if any(rule.rollout or rule.adapt for rule in flag.rules):
                lanes = states.setdefault(flag.rollout_key_path, [])
                flag.lane = len(lanes)
                lanes.append(flag.seed_state)
            if any(rule.adapt for rule in flag.rules):
                flag.holdout_lane = len(lanes)
                lanes.append(flag.holdout_state)
        self.batches = {path: SeedBatch(lanes) for path, lanes in states.items()}
        self.evaluate: evaluator.Evaluator = evaluator.build(self)
        self._traced: evaluator.Evaluator | None = None
        self._previewing: dict[bool, evaluator.PreviewEvaluator] = {}

    def traced(self) -> "evaluator.Evaluator":
        """The evaluator that also records each flag's reason chain (compiled on first use)."""
        if self._traced is None:
            self._traced = evaluator.build(self, traced=True)
        return self._traced

    def previewing(self, traced: bool = False) -> "evaluator.PreviewEvaluator":
        """The evaluator that forces a preview's variants (compiled on first use: few requests need it)."""
        built = self._previewing.get(traced)
        if built is None:
            built = self._previewing[traced] = evaluator.build_previewing(self, traced)
        return built


def load_ruleset(document: dict) -> Ruleset:
    """Build evaluation objects from a decoded compiled document; RulesetError if it is not one."""
    if type(document) is not dict or type(document.get("format")) is not int:
        raise RulesetError("not a Swerve ruleset")
    if document["format"] > FORMAT:
        raise NewerFormat(
            f"ruleset format {document['format']} needs a newer Worker (this one reads format {FORMAT}): "
            "deploy the current worker/ with `npx wrangler deploy`"
        )
    if document["format"] != FORMAT:
        raise RulesetError(f"ruleset format {document['format']} is too old: this Worker reads {FORMAT}")
    try:
        segment_specs = document.get("segments", [])
        segment_index = {spec["name"]: i for i, spec in enumerate(segment_specs)}
        segments = tuple(Segment(spec, segment_index) for spec in segment_specs)
        flag_states = document.get("state", {}).get("flags", {})
        flags = tuple(Flag(spec, segment_index, flag_states.get(spec["key"], {})) for spec in document.get("flags", []))
        events = tuple(Event(spec) for spec in document.get("events", []))
        return Ruleset(flags, segments, events, str(document.get("hash", "")))
    except (KeyError, TypeError, ValueError, AttributeError, re.error, RecursionError, SyntaxError) as exc:
        raise RulesetError(f"corrupt ruleset: {exc!r}") from exc
