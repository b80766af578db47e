"""Each ruleset version's evaluator, generated as Python source and compiled once.

``build(ruleset)`` writes one straight-line function that decides every flag of the
version in dependency order: each attribute path is read once at the top, conditions are
inlined as expressions (``conditions``), derived values shared by many flags (a padded app
version, a regex result, the visitor's rollout hashes) are computed at most once per call,
and every outcome that does not depend on the visitor (kill switch, schedule, rule match,
default) is a ready-made ``Decision`` looked up by name. With ``traced=True`` the same
writer emits the same code plus the statements that record each flag's reason chain, for
``explain``: there is no second evaluator.

Rule content never becomes source text: see ``codegen``. Each flag's code runs in its own
``try``: a flag whose evaluation fails gets its default with reason "error" and the other
flags still decide.

To add a rule kind, give ``Rule`` its precomputed data and add a branch to
``_Writer.rule_action``: it emits the statements that set the flag's decision (or leave it
unset to fall through to the next rule), with ``self.step(...)`` for the trace. Adaptive
rules (``adaptive``) are such a branch: ``_Writer.adapt``.

A preview (``preview``) is a request input most requests lack, so it has its own variant of
the function, compiled on the first request that needs it: with ``previewing=True`` the
function takes one more parameter, ``P`` (flag key -> forced variant), and each flag whose
key is in it gets that variant with reason "preview" before anything else is looked at, so
the flags that depend on it see the forced variant. The function every other request runs
is not changed by it.
"""

from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING

from .bucketing import SeedBatch
from .codegen import Source, compiled
from .conditions import HELPERS, ConditionWriter, Reads
from .decide import (
    ADAPT,
    ADAPT_STICKY,
    DEFAULT,
    ERROR,
    KILLED,
    PREREQUISITE,
    PREVIEW,
    ROLLOUT,
    RULE,
    SCHEDULE,
    STICKY,
    Decision,
)
from .jsvalues import to_string

if TYPE_CHECKING:
    from .adaptive import Adaptive
    from .ruleset import Flag, Rule, Ruleset, Segment

# (attributes, now, exposures, trace, exposure contexts) -> decisions
Evaluator = Callable[[dict, float, dict, dict | None, dict], list[Decision]]
# The previewing variant: the same, with the forced variants by flag key last.
PreviewEvaluator = Callable[[dict, float, dict, dict | None, dict, dict[str, str]], list[Decision]]


def rollout_hashes(batch: SeedBatch, raw: object) -> list[int] | bool:
    """Every flag's bucket times 10000 for this rollout key value, or False when the visitor has none."""
    if raw is None or raw == "":
        return False
    return batch.remainders(raw if type(raw) is str else to_string(raw))


def _prerequisite_step(flag: str, got: object, allowed: list[str]) -> str:
    return f"prerequisite {flag} is {got!r}, needs one of {allowed}: default variant"


def _sticky_step(number: int, seen: str) -> str:
    return f"rule {number}: sticky rollout, visitor saw {seen} before"


def _bucket_step(number: int, bucket: float, variant: str) -> str:
    return f"rule {number}: rollout bucket {bucket:.4f} -> {variant}"


def _coverage_step(number: int, bucket: float) -> str:
    return f"rule {number}: bucket {bucket:.4f} outside the rollout's coverage"


def _preview_step(variant: str) -> str:
    return f"preview: forced to {variant}"


def _error_step(error: Exception) -> str:
    return f"error: {error!r}"


def _adapt_context_step(number: int, adaptive: "Adaptive", index: int, values: tuple) -> str:
    return f"rule {number}: context {adaptive.describe_context(index, values)}"


def _adapt_holdout_step(number: int, adaptive: "Adaptive", remainder: int) -> str:
    bucket = remainder / 10000
    if remainder < adaptive.holdout_bp:
        return (
            f"rule {number}: holdout bucket {bucket:.4f} < {adaptive.holdout:g}%: in the holdout, "
            "a uniformly random arm instead"
        )
    return f"rule {number}: holdout bucket {bucket:.4f} >= {adaptive.holdout:g}%: these weights choose"


def _adapt_weights_step(number: int, adaptive: "Adaptive", index: int) -> str:
    return f"rule {number}: {adaptive.describe_weights(index)}"


def _adapt_sticky_step(number: int, seen: str, context: str) -> str:
    return f"rule {number}: sticky, visitor saw {seen} in context {context} before"


def _adapt_arm_step(number: int, bucket: float, arm: str) -> str:
    return f"rule {number}: bucket {bucket:.4f} -> {arm}"


def check(trace: list[str], result: bool, message: str) -> bool:
    """In the traced evaluator: ``result``, recording ``message`` when it is False."""
    if not result:
        trace.append(message)
    return result


_OUTSIDE = "outside the flag's paths: decided only as a prerequisite"

_HELPERS = {
    **HELPERS,
    "_check": check,
    "_ROLLOUT": ROLLOUT,
    "_D": Decision,
    "_new": tuple.__new__,
    "_hashes": rollout_hashes,
    "_prerequisite_step": _prerequisite_step,
    "_sticky_step": _sticky_step,
    "_bucket_step": _bucket_step,
    "_coverage_step": _coverage_step,
    "_error_step": _error_step,
    "_ADAPT": ADAPT,
    "_ADAPT_STICKY": ADAPT_STICKY,
    "_NO_CONTEXT": "",
    "_bisect": bisect_right,
    "_adapt_context_step": _adapt_context_step,
    "_adapt_holdout_step": _adapt_holdout_step,
    "_adapt_weights_step": _adapt_weights_step,
    "_adapt_sticky_step": _adapt_sticky_step,
    "_adapt_arm_step": _adapt_arm_step,
    "_preview_step": _preview_step,
}


class _Writer:
    """Writes one ruleset's evaluator function ``decide(A, now, X, T, K)`` (previewing: ``(A, now, X, T, K, P)``).

    ``A`` the attributes, ``now`` epoch seconds, ``X`` the visitor's exposures (flag ->
    variant), ``T`` the trace (traced only), ``K`` the contexts of adaptive exposures, ``P``
    a preview's forced variants.
    """

    __slots__ = (
        "batches",
        "conditions",
        "decided",
        "function",
        "name",
        "path",
        "previewing",
        "reads",
        "ruleset",
        "segment_functions",
        "segment_memo",
        "source",
        "trace",
        "traced",
    )

    def __init__(self, ruleset: "Ruleset", traced: bool, previewing: bool = False) -> None:
        self.ruleset = ruleset
        self.traced = traced
        self.previewing = previewing
        self.source = Source(_HELPERS)
        self.conditions = ConditionWriter(self.source)
        params = ("A", "now", "X", "T", "K", "P") if previewing else ("A", "now", "X", "T", "K")
        self.name, self.function = self.source.function("_decide", params)
        self.reads = Reads(self.source, self.function, "A")
        self.segment_functions: dict[int, str] = {}
        self.segment_memo: str | None = None
        self.batches: dict[str, tuple[str, str]] = {}
        self.decided: dict[str, str] = {}
        self.path: str | None = None
        self.trace: str | None = None

    # ---- small emitters ----

    def const(self, value: object) -> str:
        return self.source.const(value)

    def line(self, text: str) -> None:
        self.function.line(text)

    def indent(self) -> None:
        self.function.depth += 1

    def dedent(self) -> None:
        self.function.depth -= 1

    def step(self, expression: str) -> None:
        """Record a trace step (only in the traced evaluator); ``expression`` evaluates to the text."""
        if self.traced:
            self.line(self.step_text(expression))

    def step_text(self, expression: str) -> str:
        return f"{self.trace}.append({expression})"

    def branch_end(self) -> None:
        """Close a branch whose only statements would be trace steps."""
        if not self.traced:
            self.line("pass")

    # ---- the function ----

    def write(self) -> str:
        flags = self.ruleset.flags
        bot = self.reads.value("request.bot").name
        self.line(f"bot = {bot} is True")
        if any(flag.paths is not None for flag in flags):
            path = self.reads.value("request.path")
            self.path = "path"
            self.line(f"path = {path.name} if {path.is_str()} else {self.const('/')}")
        if self.path is None:
            # Every flag is in scope on every path: the decisions are one list at the end.
            decided = []
            for flag in flags:
                decided.append(self.source.name("d"))
                self.decide_flag(flag, decided[-1])
                self.decided[flag.key] = decided[-1]
            self.line(f"return [{', '.join(decided)}]")
            return self.name
        self.line("out = []")
        self.line("keep = out.append")
        for flag in flags:
            self.flag(flag)
        self.line("return out")
        return self.name

    def flag(self, flag: "Flag") -> None:
        needed = flag.key in self.ruleset.prerequisite_keys
        scope = None
        if flag.paths is not None:
            scope = f"{self.const(flag.paths)}({self.path}) is not None"
        d = self.source.name("d")
        if scope is not None and not needed:
            self.line(f"if {scope}:")
            self.indent()
            self.decide_flag(flag, d)
            self.line(f"keep({d})")
            self.dedent()
        elif scope is not None:
            inside = self.source.name("i")
            self.line(f"{inside} = {scope}")
            self.decide_flag(flag, d, outside=inside)
            self.line(f"if {inside}:")
            self.line(f"    keep({d})")
        else:
            self.decide_flag(flag, d)
            self.line(f"keep({d})")
        self.decided[flag.key] = d

    def decide_flag(self, flag: "Flag", d: str, outside: str | None = None) -> None:
        """Statements that set ``d`` to the flag's decision."""
        if self.traced:
            self.trace = self.source.name("t")
            self.line(f"{self.trace} = T.setdefault({self.const(flag.key)}, [])")
            if outside is not None:
                self.line(f"if not {outside}: {self.step_text(self.const(_OUTSIDE))}")
        if not self.previewing:
            self.decide_rules(flag, d)
            return
        # A forced variant wins over everything, the kill switch and the schedule included:
        # previewing the variant is what the link was made for.
        forced = self.source.name("f")
        decisions = self.const({v: _decision(flag, v, PREVIEW, None) for v in flag.variants})
        self.line(f"if ({forced} := P.get({self.const(flag.key)})) in {decisions}:")
        self.indent()
        self.step(f"_preview_step({forced})")
        self.line(f"{d} = {decisions}[{forced}]")
        self.dedent()
        self.line("else:")
        self.indent()
        self.decide_rules(flag, d)
        self.dedent()

    def decide_rules(self, flag: "Flag", d: str) -> None:
        """Statements that set ``d`` to the decision of the flag's kill switch, schedule,
        prerequisites and rules."""
        if flag.killed:
            self.step(self.const("kill switch on: default variant"))
            self.line(f"{d} = {self.const(_fallback(flag, KILLED))}")
            return
        self.line("try:")
        self.indent()
        if any(rule.rollout is not None or rule.adapt is not None for rule in flag.rules):
            self.line(f"{d} = None")  # a rollout may leave the flag undecided: later rules go on
        chain = _Chain(self, d)
        schedule = []
        if flag.start is not None:
            schedule.append(f"now < {self.const(flag.start)}")
        if flag.end is not None:
            schedule.append(f"now >= {self.const(flag.end)}")
        if schedule:
            chain.case(" or ".join(schedule))
            self.step(self.const("outside the schedule: default variant"))
            self.line(f"{d} = {self.const(_fallback(flag, SCHEDULE))}")
            chain.done(falls_through=False)
        for prerequisite, allowed in flag.prerequisites:
            got = f"{self.decided[prerequisite]}[1]" if prerequisite in self.decided else "None"
            chain.case(f"{got} not in {self.const(allowed)}")
            self.step(f"_prerequisite_step({self.const(prerequisite)}, {got}, {self.const(sorted(allowed))})")
            self.line(f"{d} = {self.const(_fallback(flag, PREREQUISITE))}")
            chain.done(falls_through=False)
        for rule in flag.rules:
            chain.case(self.rule_guard(rule))
            chain.done(falls_through=self.rule_action(flag, rule, d))
        chain.otherwise()
        self.step(self.const(f"no rule matched: default {flag.default}"))
        self.line(f"{d} = {self.const(_fallback(flag, DEFAULT))}")
        chain.done(falls_through=False)
        chain.close()
        self.dedent()
        self.line("except Exception as error:" if self.traced else "except Exception:")
        self.indent()
        self.step("_error_step(error)")
        self.line(f"{d} = {self.const(_fallback(flag, ERROR))}")
        self.dedent()

    def guard(self, parts: list[tuple[str, str]]) -> str:
        """All ``parts`` hold; traced, the first that does not records its message."""
        if not parts:
            return "True"
        if self.traced:
            parts = [(f"_check({self.trace}, {test}, {self.const(message)})", message) for test, message in parts]
        return " and ".join(test for test, _ in parts)

    def rule_guard(self, rule: "Rule") -> str:
        """When a rule applies: not a bot (unless it targets bots), its condition, its segments."""
        number = rule.index + 1
        parts: list[tuple[str, str]] = []
        if not rule.targets_bots:
            parts.append(("not bot", f"rule {number}: skipped for a bot (the rule does not target request.bot)"))
        if rule.when is not None:
            parts.append((self.conditions.condition(rule.when, self.reads), f"rule {number}: condition not met"))
        for index in rule.segments:
            name = self.ruleset.segments[index].name
            parts.append((self.segment(index), f"rule {number}: not in segment {name}"))
        return self.guard(parts)

    def rule_action(self, flag: "Flag", rule: "Rule", d: str) -> bool:
        """What a rule that applies does: set ``d``, or leave it None to fall through.

        Returns whether it may fall through (then the next rule is tried).
        """
        number = rule.index + 1
        if rule.adapt is not None:
            self.adapt(flag, rule.adapt, d, number)
            return True
        if rule.rollout is None:
            self.step(self.const(f"rule {number}: matched -> {rule.variant}"))
            self.line(f"{d} = {self.const(_decision(flag, rule.variant, RULE, number))}")
            return False
        sticky = flag.sticky and rule.live
        if sticky:
            seen = self.source.name("seen")
            decisions = {v: _decision(flag, v, STICKY, number) for v in sorted(rule.live)}
            live = self.const(rule.live)
            self.line(f"if X and type({seen} := X.get({self.const(flag.key)})) is str and {seen} in {live}:")
            self.indent()
            self.step(f"_sticky_step({number}, {seen})")
            self.line(f"{d} = {self.const(decisions)}[{seen}]")
            self.dedent()
            self.line("else:")
            self.indent()
        self.bucket(flag, rule, d, number)
        if sticky:
            self.dedent()
        return True

    def hashed(self, flag: "Flag", number: int) -> str:
        """The visitor's hashes of ``flag``'s batch, computed once; without a rollout key value
        the rule falls through (a rollout and an adaptive rule alike)."""
        hashes = self.hashes(flag)
        batch = self.batches[flag.rollout_key_path][0]
        self.line(f"if {hashes} is None: {hashes} = _hashes({batch}, {self.batch_key(flag)})")
        self.line(f"if {hashes} is False:")
        self.indent()
        self.step(self.const(f"rule {number}: no {flag.rollout_key_path} to bucket on"))
        self.branch_end()
        self.dedent()
        return hashes

    def bucket(self, flag: "Flag", rule: "Rule", d: str, number: int) -> None:
        """Choose the variant by the visitor's bucket; no key or outside the coverage falls through."""
        hashes = self.hashed(flag, number)
        b = self.source.name("b")
        bucket = f"({b} := {hashes}[{flag.lane}] / 10000)"
        key = self.const(flag.key)
        # Buckets are in [0, 1) and GrowthBook's ranges are usually contiguous from 0: then
        # one comparison per variant decides.
        known_low = 0.0
        for variant, (start, end) in zip(rule.rollout, rule.ranges, strict=True):
            if end <= start:
                continue
            if start <= known_low:
                test = f"{bucket} < {self.const(end)}"
                known_low = max(known_low, end)
            else:
                test = f"{self.const(start)} <= {bucket} < {self.const(end)}"
            bucket = b
            value = self.const(flag.variants[variant].value)
            self.line(f"elif {test}:")
            self.indent()
            self.step(f"_bucket_step({number}, {b}, {self.const(variant)})")
            self.line(f"{d} = _new(_D, ({key}, {self.const(variant)}, {value}, _ROLLOUT, {number}, {b}, _NO_CONTEXT))")
            self.dedent()
        if self.traced:
            self.line("else:")
            self.indent()
            if bucket != b:  # no variant has a share: the bucket was not read yet
                self.line(f"{bucket}")
            self.step(f"_coverage_step({number}, {b})")
            self.dedent()

    def adapt(self, flag: "Flag", adaptive: "Adaptive", d: str, number: int) -> None:
        """An adaptive rule: the visitor's context, then the holdout's or the policy's arm.

        Without a rollout key value the rule falls through, like a rollout. A visitor who saw
        one of the arms before in the same recorded context keeps it (unless ``sticky: false``).
        """
        hashes = self.hashed(flag, number)
        self.line("else:")
        self.indent()
        c, r, x, a = (self.source.name(p) for p in ("c", "r", "x", "a"))
        values = [self.reads.value(feature.attribute).name for feature in adaptive.features]
        self.line(f"{c} = {self.context_index(adaptive, values)}")
        if self.traced:
            shown = "".join(f"{v}, " for v in values)
            self.step(f"_adapt_context_step({number}, {self.const(adaptive)}, {c}, ({shown}))")
            self.step(f"_adapt_weights_step({number}, {self.const(adaptive)}, {c})")
            self.step(f"_adapt_holdout_step({number}, {self.const(adaptive)}, {hashes}[{flag.holdout_lane}])")
        self.line(f"{r} = {hashes}[{flag.lane}]")
        self.line(f"if {hashes}[{flag.holdout_lane}] < {self.const(adaptive.holdout_bp)}:")
        self.indent()
        self.line(f"{x} = {self.const(adaptive.holdout_keys)}[{c}]")
        self.line(f"{a} = {r} * {len(adaptive.arms)} // 10000")
        self.dedent()
        self.line("else:")
        self.indent()
        self.line(f"{x} = {self.const(adaptive.keys)}[{c}]")
        self.line(f"{a} = _bisect({self.const(adaptive.cumulative)}[{c}], {r})")
        self.dedent()
        key = self.const(flag.key)
        arms = self.const(adaptive.arms)
        values_by_arm = {arm: flag.variants[arm].value for arm in adaptive.arms}
        if flag.sticky:
            seen = self.source.name("seen")
            by_arm = self.const(values_by_arm)
            self.line(f"if X and type({seen} := X.get({key})) is str and {seen} in {by_arm} and K.get({key}) == {x}:")
            self.indent()
            self.step(f"_adapt_sticky_step({number}, {seen}, {x})")
            self.line(f"{d} = _new(_D, ({key}, {seen}, {by_arm}[{seen}], _ADAPT_STICKY, {number}, None, {x}))")
            self.dedent()
            self.line("else:")
            self.indent()
        values_in_order = self.const(tuple(values_by_arm[arm] for arm in adaptive.arms))
        self.step(f"_adapt_arm_step({number}, {r} / 10000, {arms}[{a}])")
        self.line(f"{d} = _new(_D, ({key}, {arms}[{a}], {values_in_order}[{a}], _ADAPT, {number}, {r} / 10000, {x}))")
        if flag.sticky:
            self.dedent()
        self.dedent()

    def context_index(self, adaptive: "Adaptive", values: list[str]) -> str:
        """An expression for the index of the visitor's full context: one bucket lookup per feature."""
        terms = []
        for feature, value, stride in zip(adaptive.features, values, adaptive.strides, strict=True):
            if feature.edges is not None:
                number = f"type({value}) is int or type({value}) is float"
                term = f"(_bisect({self.const(feature.edges)}, {value}) if {number} else 0)"
            else:
                other = len(feature.values or ())
                term = f"({self.const(feature.values)}.get({value}, {other}) if type({value}) is str else {other})"
            terms.append(term if stride == 1 else f"{term} * {stride}")
        return " + ".join(terms) or "0"

    def hashes(self, flag: "Flag") -> str:
        """The local holding the buckets of ``flag``'s rollout key (None until first needed)."""
        path = flag.rollout_key_path
        if path not in self.batches:
            local = self.source.name("h")
            self.function.early(f"{local} = None")
            self.batches[path] = (self.const(self.ruleset.batches[path]), local)
        return self.batches[path][1]

    def batch_key(self, flag: "Flag") -> str:
        return self.reads.value(flag.rollout_key_path).name

    def segment(self, index: int) -> str:
        """An expression for segment ``index``, computed at most once per call."""
        if self.segment_memo is None:
            self.segment_memo = "G"
            self.function.early(f"G = [None] * {len(self.ruleset.segments)}")
        return f"(G[{index}] if G[{index}] is not None else {self.segment_function(index)}(A, G))"

    def segment_function(self, index: int) -> str:
        name = self.segment_functions.get(index)
        if name is not None:
            return name
        segment: Segment = self.ruleset.segments[index]
        name, function = self.source.function("_segment", ("A", "G"))
        self.segment_functions[index] = name
        tests = [f"(G[{i}] if G[{i}] is not None else {self.segment_function(i)}(A, G))" for i in segment.requires]
        if segment.when is not None:
            tests.append(self.conditions.condition(segment.when, Reads(self.source, function, "A")))
        function.line(f"result = {' and '.join(tests) or 'True'}")
        function.line(f"G[{index}] = result")
        function.line("return result")
        return name


class _Chain:
    """Lays out a flag's cases as one if/elif chain: the first case that applies decides.

    A case that may leave the decision unset (a rollout outside its coverage) ends the chain;
    the cases after it continue under ``if d is None:``.
    """

    __slots__ = ("d", "nested", "state", "writer")

    def __init__(self, writer: _Writer, d: str) -> None:
        self.writer = writer
        self.d = d
        self.state = "start"  # "start": nothing yet; "chain": an if/elif is open; "open": d may be None
        self.nested = False

    def _reopen(self) -> None:
        if self.nested:
            self.writer.dedent()
        self.writer.line(f"if {self.d} is None:")
        self.writer.indent()
        self.nested = True

    def case(self, guard: str) -> None:
        """Open a case: its statements follow, then ``done``."""
        keyword = "elif" if self.state == "chain" else "if"
        if self.state == "open":
            self._reopen()
        self.writer.line(f"{keyword} {guard}:")
        self.writer.indent()

    def otherwise(self) -> None:
        """Open the final case, taken when no case before it decided."""
        if self.state == "chain":
            self.writer.line("else:")
        else:
            if self.nested:
                self.writer.dedent()
                self.nested = False
            self.writer.line(f"if {self.d} is None:" if self.state == "open" else "if True:")
        self.writer.indent()

    def done(self, falls_through: bool) -> None:
        """Close the current case."""
        self.writer.dedent()
        self.state = "open" if falls_through else "chain"

    def close(self) -> None:
        """End the chain (after the final case)."""
        if self.nested:
            self.writer.dedent()


def _decision(flag: "Flag", variant: str, reason: str, rule: int | None) -> Decision:
    return Decision(flag.key, variant, flag.variants[variant].value, reason, rule)


def _fallback(flag: "Flag", reason: str) -> Decision:
    return _decision(flag, flag.default, reason, None)


def generate(ruleset: "Ruleset", traced: bool = False, previewing: bool = False) -> tuple[Source, str]:
    """The evaluator's source for ``ruleset`` and the name of its function (for tests and tools)."""
    writer = _Writer(ruleset, traced, previewing)
    return writer.source, writer.write()


def build(ruleset: "Ruleset", traced: bool = False) -> Evaluator:
    """Compile ``ruleset``'s evaluator: ``(attributes, now, exposures, trace, contexts) -> decisions``."""
    source, name = generate(ruleset, traced)
    return compiled(source, name, "<swerve ruleset traced>" if traced else "<swerve ruleset>")


def build_previewing(ruleset: "Ruleset", traced: bool = False) -> PreviewEvaluator:
    """Compile ``ruleset``'s previewing evaluator: ``(attributes, now, exposures, trace, contexts, forced)``."""
    source, name = generate(ruleset, traced, previewing=True)
    return compiled(source, name, "<swerve ruleset preview traced>" if traced else "<swerve ruleset preview>")
