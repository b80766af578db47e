"""Deciding every in-scope flag's variant for one request.

``decide`` is the one evaluator: the Worker calls it per request and the CLI's
``explain`` and ``simulate`` call it too, passing ``trace`` to collect the reasons.
It never raises: a flag whose evaluation fails gets its default with reason "error".
"""

from typing import NamedTuple

from .bucketing import choose_variation
from .jsvalues import to_string
from .ruleset import Flag, Ruleset

KILLED = "killed"
SCHEDULE = "schedule"
PREREQUISITE = "prerequisite"
RULE = "rule"
ROLLOUT = "rollout"
STICKY = "sticky"
DEFAULT = "default"
ERROR = "error"


class Decision(NamedTuple):
    """A flag's variant for this request and why: ``reason`` is one of the constants above."""

    flag: str
    variant: str
    value: object
    reason: str
    rule: int | None = None
    bucket: float | None = None

    def describe(self) -> str:
        """A short human form, as in the ``Swerve-Decisions`` debug header."""
        text = self.reason
        if self.rule is not None:
            text += f" {self.rule}"
        if self.bucket is not None:
            text += f" bucket={self.bucket:.4f}"
        return text


class _Request:
    """Per-request memo shared by all flags: segment results and chosen variants."""

    __slots__ = (
        "attributes",
        "batches",
        "buckets",
        "chosen",
        "exposures",
        "is_bot",
        "now",
        "segment_results",
        "segments",
    )

    def __init__(self, ruleset: Ruleset, attributes: dict, now: float, exposures: dict) -> None:
        self.attributes = attributes
        self.now = now
        self.exposures = exposures
        self.segments = ruleset.segments
        self.segment_results: list[bool | None] = [None] * len(ruleset.segments)
        self.chosen: dict[str, str] = {}
        self.batches = ruleset.batches
        self.buckets: dict[str, list[float] | None] = {}
        request = attributes.get("request")
        self.is_bot = type(request) is dict and request.get("bot") is True

    def bucket(self, flag: Flag) -> float | None:
        """This visitor's bucket for ``flag``; None without a rollout key value.

        The first call for a rollout key hashes the id under every flag's seed at once.
        """
        path = flag.rollout_key_path
        if path in self.buckets:
            values = self.buckets[path]
        else:
            raw = flag.rollout_key(self.attributes)
            if raw is None or raw == "":
                values = None
            else:
                values = self.batches[path](raw if type(raw) is str else to_string(raw))
            self.buckets[path] = values
        return None if values is None else values[flag.lane]

    def segment(self, index: int) -> bool:
        result = self.segment_results[index]
        if result is None:
            segment = self.segments[index]
            result = all(self.segment(i) for i in segment.requires) and (
                segment.when is None or bool(segment.when(self.attributes))
            )
            self.segment_results[index] = result
        return result


def decide(
    ruleset: Ruleset,
    attributes: dict,
    now: float,
    exposures: dict[str, str] | None = None,
    trace: dict[str, list[str]] | None = None,
) -> list[Decision]:
    """Decide every flag in scope for ``attributes["request"]["path"]``, in dependency order.

    ``now`` is epoch seconds; ``exposures`` maps flag keys to the variant this visitor
    saw before (sticky rollouts). With ``trace``, each flag's reason chain is appended
    to ``trace[flag]``.
    """
    state = _Request(ruleset, attributes, now, exposures or {})
    request = attributes.get("request")
    path = request.get("path") if type(request) is dict else None
    if type(path) is not str:
        path = "/"
    decisions = []
    needed = ruleset.prerequisite_keys
    for flag in ruleset.flags:
        in_scope = flag.paths is None or flag.paths(path) is not None
        if not in_scope and flag.key not in needed:
            continue
        steps = None
        if trace is not None:
            steps = trace.setdefault(flag.key, [])
            if not in_scope:
                steps.append("outside the flag's paths: decided only as a prerequisite")
        try:
            decision = _decide_flag(flag, state, steps)
        except Exception as exc:  # a broken flag must not break the request
            if steps is not None:
                steps.append(f"error: {exc!r}")
            decision = _fallback(flag, ERROR)
        state.chosen[flag.key] = decision.variant
        if in_scope:
            decisions.append(decision)
    return decisions


def _fallback(flag: Flag, reason: str, rule: int | None = None) -> Decision:
    return Decision(flag.key, flag.default, flag.variants[flag.default].value, reason, rule)


def _decide_flag(flag: Flag, state: _Request, steps: list[str] | None) -> Decision:
    if flag.killed:
        if steps is not None:
            steps.append("kill switch on: default variant")
        return _fallback(flag, KILLED)
    if (flag.start is not None and state.now < flag.start) or (flag.end is not None and state.now >= flag.end):
        if steps is not None:
            steps.append("outside the schedule: default variant")
        return _fallback(flag, SCHEDULE)
    for prerequisite, allowed in flag.prerequisites:
        got = state.chosen.get(prerequisite)
        if got not in allowed:
            if steps is not None:
                steps.append(f"prerequisite {prerequisite} is {got!r}, needs one of {sorted(allowed)}: default variant")
            return _fallback(flag, PREREQUISITE)
    for rule in flag.rules:
        number = rule.index + 1
        if state.is_bot and not rule.targets_bots:
            if steps is not None:
                steps.append(f"rule {number}: skipped for a bot (the rule does not target request.bot)")
            continue
        if rule.when is not None and not rule.when(state.attributes):
            if steps is not None:
                steps.append(f"rule {number}: condition not met")
            continue
        missing = next((i for i in rule.segments if not state.segment(i)), None)
        if missing is not None:
            if steps is not None:
                steps.append(f"rule {number}: not in segment {state.segments[missing].name}")
            continue
        if rule.rollout is None:
            if steps is not None:
                steps.append(f"rule {number}: matched -> {rule.variant}")
            return Decision(flag.key, rule.variant, flag.variants[rule.variant].value, RULE, number)
        seen = state.exposures.get(flag.key)
        if flag.sticky and seen in rule.live:
            if steps is not None:
                steps.append(f"rule {number}: sticky rollout, visitor saw {seen} before")
            return Decision(flag.key, seen, flag.variants[seen].value, STICKY, number)
        bucket = state.bucket(flag)
        if bucket is None:
            if steps is not None:
                steps.append(f"rule {number}: no {flag.rollout_key_path} to bucket on")
            continue
        chosen = choose_variation(bucket, rule.ranges)
        if chosen < 0:
            if steps is not None:
                steps.append(f"rule {number}: bucket {bucket:.4f} outside the rollout's coverage")
            continue
        variant = rule.rollout[chosen]
        if steps is not None:
            steps.append(f"rule {number}: rollout bucket {bucket:.4f} -> {variant}")
        return Decision(flag.key, variant, flag.variants[variant].value, ROLLOUT, number, bucket)
    if steps is not None:
        steps.append(f"no rule matched: default {flag.default}")
    return _fallback(flag, DEFAULT)
