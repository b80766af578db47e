"""Loading rule files into one RuleSet and checking everything a decision depends on.

Schema errors come from strict decoding (``decoding``); this module adds the checks
that need the whole set: references, cycles, weights, regexes, selectors, attribute
paths and flag hygiene (owner, expiry).
"""

import datetime
import difflib
from collections.abc import Iterable

from .adapt_check import check_adapt
from .condition_check import check_attribute, check_condition, regex_problem
from .condition_hints import operator_typos
from .decoding import decode_source
from .diagnostics import Diagnostic, Path
from .edge_checks import operation_problems
from .model import Located, RuleSet
from .schema import Event, Flag, Rule, Segment, Variant
from .sources import Source, read_source, rule_files


class Checker:
    """Collects findings for one RuleSet."""

    def __init__(self, rules: RuleSet, today: datetime.date, strict: bool) -> None:
        self.rules = rules
        self.today = today
        self.strict = strict
        self.found: list[Diagnostic] = []

    def error(self, source: Source, path: Path, message: str) -> None:
        self.found.append(Diagnostic(file=source.file, line=source.line(path), path=path, message=message))

    def warn(self, source: Source, path: Path, message: str) -> None:
        severity = "error" if self.strict else "warning"
        self.found.append(
            Diagnostic(file=source.file, line=source.line(path), path=path, message=message, severity=severity)
        )

    def condition(self, source: Source, path: Path, condition: object) -> None:
        check_condition(condition, lambda p, m: self.error(source, p, m), self.event_names(), path)
        self.operator_hints(source, path, condition)

    def segment_refs(self, source: Source, path: Path, names: Iterable[str]) -> None:
        for i, name in enumerate(names):
            if not self.known("segments", name):
                self.error(source, (*path, i), f"unknown segment `{name}`{_suggest(name, self.rules.segments)}")

    def run(self) -> list[Diagnostic]:
        for name, located in self.rules.events.items():
            assert isinstance(located.value, Event)
            self.event(name, located.source, located.value)
        for name, located in self.rules.segments.items():
            assert isinstance(located.value, Segment)
            self.segment(name, located.source, located.value)
        for name, located in self.rules.flags.items():
            assert isinstance(located.value, Flag)
            self.flag(name, located.source, located.value)
        self.cycles("segments", {n: list(s.value.segments) for n, s in self.rules.segments.items()})
        self.cycles("flags", {n: [p.flag for p in f.value.prerequisites] for n, f in self.rules.flags.items()})
        return self.found

    def event(self, name: str, source: Source, event: Event) -> None:
        base = ("events", name)
        if not (event.path or event.query or event.referrer or event.client):
            self.error(source, base, "an event needs path, query or referrer to match, or client: true")
        for field, pattern in (("path", event.path), ("referrer", event.referrer)):
            problem = pattern is not None and regex_problem(pattern)
            if problem:
                self.error(source, (*base, field), problem)
        for param, pattern in event.query.items():
            problem = regex_problem(pattern)
            if problem:
                self.error(source, (*base, "query", param), problem)

    def segment(self, name: str, source: Source, segment: Segment) -> None:
        base = ("segments", name)
        if segment.when is None and not segment.segments:
            self.error(source, base, "a segment needs `when` or `segments`")
        if segment.when is not None:
            self.condition(source, (*base, "when"), segment.when)
        self.segment_refs(source, (*base, "segments"), segment.segments)

    def flag(self, name: str, source: Source, flag: Flag) -> None:
        base = ("flags", name)
        variants = flag.variants
        if not variants:
            self.error(source, (*base, "variants"), "a flag needs at least one variant")
        if flag.default not in variants:
            self.error(
                source, (*base, "default"), f"unknown variant `{flag.default}`{_suggest(flag.default, variants)}"
            )
        for vname, variant in variants.items():
            self.variant(source, (*base, "variants", vname), variant)
        for i, prerequisite in enumerate(flag.prerequisites):
            path = (*base, "prerequisites", i)
            other = self.rules.flags.get(prerequisite.flag)
            if other is None:
                if self.known("flags", prerequisite.flag):
                    continue
                self.error(
                    source,
                    (*path, "flag"),
                    f"unknown flag `{prerequisite.flag}`{_suggest(prerequisite.flag, self.rules.flags)}",
                )
                continue
            other_variants = other.value.variants
            for j, wanted in enumerate(prerequisite.variants):
                if wanted not in other_variants:
                    self.error(source, (*path, "variants", j), f"flag `{prerequisite.flag}` has no variant `{wanted}`")
        if flag.schedule is not None:
            self.schedule(source, (*base, "schedule"), flag)
        for i, pattern in enumerate(flag.paths):
            if not pattern.startswith("/"):
                self.error(source, (*base, "paths", i), f"path pattern {pattern!r} must start with /")
        problem = check_attribute(flag.rollout_key, self.event_names())
        if problem:
            self.error(source, (*base, "rollout_key"), problem)
        for i, rule in enumerate(flag.rules):
            self.rule(source, (*base, "rules", i), flag, rule)
        self.adaptive(source, base, flag)
        self.outcomes(source, base, flag)
        if flag.owner is None:
            self.warn(source, base, "flag has no owner")
        if flag.expires is None:
            self.warn(source, base, "flag has no expiry date (expires:)")
        elif flag.expires < self.today:
            self.warn(source, (*base, "expires"), f"flag expired on {flag.expires.isoformat()}: remove it or extend it")

    def variant(self, source: Source, path: Path, variant: Variant) -> None:
        for i, op in enumerate(variant.html):
            here = (*path, "html", i)
            for where, message in operation_problems(op):
                self.error(source, (*here, *where), message)
        if variant.serve_path is not None and not variant.serve_path.startswith("/"):
            self.error(source, (*path, "serve_path"), "serve_path must start with /")

    def schedule(self, source: Source, path: Path, flag: Flag) -> None:
        schedule = flag.schedule
        for field in ("start", "end"):
            moment = getattr(schedule, field)
            if moment is not None and moment.tzinfo is None:
                self.error(source, (*path, field), "give a time zone, for example 2026-12-01T09:00:00Z")
        if (
            schedule.start
            and schedule.end
            and schedule.start.tzinfo
            and schedule.end.tzinfo
            and schedule.end <= schedule.start
        ):
            self.error(source, (*path, "end"), "end must be after start")

    def rule(self, source: Source, path: Path, flag: Flag, rule: Rule) -> None:
        if [rule.variant, rule.rollout, rule.adapt].count(None) != 2:
            self.error(source, path, "a rule serves exactly one of `variant`, `rollout` or `adapt`")
        if rule.variant is not None and rule.variant not in flag.variants:
            self.error(
                source, (*path, "variant"), f"unknown variant `{rule.variant}`{_suggest(rule.variant, flag.variants)}"
            )
        if rule.when is not None:
            self.condition(source, (*path, "when"), rule.when)
        self.segment_refs(source, (*path, "segments"), rule.segments)
        if rule.rollout is not None:
            weights = rule.rollout.weights
            for vname in weights:
                if vname not in flag.variants:
                    self.error(
                        source,
                        (*path, "rollout", "weights", vname),
                        f"unknown variant `{vname}`{_suggest(vname, flag.variants)}",
                    )
            total = sum(weights.values())
            if abs(total - 100) > 1e-9:
                self.error(source, (*path, "rollout", "weights"), f"weights sum to {total:g}, expected 100")
            if rule.rollout.ramp is not None:
                self.ramp(source, (*path, "rollout", "ramp"), flag, rule)
        if rule.adapt is not None:
            here = (*path, "adapt")
            check_adapt(flag, rule.adapt, set(self.rules.events), lambda p, m: self.error(source, (*here, *p), m))

    def adaptive(self, source: Source, base: Path, flag: Flag) -> None:
        """One adaptive rule per flag, and no rollout beside it: their units would share the flag's counts."""
        adaptive = [i for i, rule in enumerate(flag.rules) if rule.adapt is not None]
        if not adaptive:
            return
        for i in adaptive[1:]:
            self.error(source, (*base, "rules", i, "adapt"), "a flag has at most one adaptive rule")
        for i, rule in enumerate(flag.rules):
            if rule.rollout is not None:
                self.error(
                    source,
                    (*base, "rules", i, "rollout"),
                    "a flag with an adaptive rule cannot also have a rollout: their visitors would share its counts",
                )

    def ramp(self, source: Source, path: Path, flag: Flag, rule: Rule) -> None:
        """A ramp raises one variant of its rollout, step by step, never the control."""
        assert rule.rollout is not None and rule.rollout.ramp is not None
        ramp = rule.rollout.ramp
        weights = rule.rollout.weights
        if ramp.variant not in weights:
            self.error(source, (*path, "variant"), f"`{ramp.variant}` is not one of this rollout's variants")
        elif ramp.variant == (flag.control or flag.default):
            self.error(source, (*path, "variant"), "the control cannot be ramped: ramp the new variant")
        if len(weights) < 2:
            self.error(source, path, "a ramp needs a rollout of at least two variants")
        if not ramp.steps:
            self.error(source, (*path, "steps"), "a ramp needs at least one step")
        for i, step in enumerate(ramp.steps):
            if step <= 0:
                self.error(source, (*path, "steps", i), "a step must be above 0%")
            elif i and step <= ramp.steps[i - 1]:
                self.error(source, (*path, "steps", i), f"steps must increase: {step:g} after {ramp.steps[i - 1]:g}")

    def outcomes(self, source: Source, base: Path, flag: Flag) -> None:
        """Goals are declared events; the control is a variant; guardrails can be judged and breached."""
        seen: set[str] = set()
        for i, goal in enumerate(flag.goals):
            if not self.known("events", goal):
                self.error(source, (*base, "goals", i), f"unknown event `{goal}`{_suggest(goal, self.rules.events)}")
            elif goal in seen:
                self.error(source, (*base, "goals", i), f"goal `{goal}` is listed twice")
            seen.add(goal)
        if flag.control is not None and flag.control not in flag.variants:
            self.error(
                source, (*base, "control"), f"unknown variant `{flag.control}`{_suggest(flag.control, flag.variants)}"
            )
        guardrails = flag.guardrails
        if guardrails is None:
            return
        here = (*base, "guardrails")
        if guardrails.max_error_rate is None and guardrails.min_conversion_ratio is None:
            self.error(source, here, "set max_error_rate and/or min_conversion_ratio")
        if guardrails.max_error_rate is not None and guardrails.max_error_rate >= 100:
            self.error(source, (*here, "max_error_rate"), "an error share cannot exceed 100%: this never trips")
        if guardrails.min_conversion_ratio is not None and not flag.goals:
            self.error(source, (*here, "min_conversion_ratio"), "a conversion guardrail needs the flag's `goals`")
        if not any(rule.rollout is not None for rule in flag.rules):
            self.warn(source, here, "guardrails judge rollout variants, and this flag has no rollout")

    # Newcomer checks: no cascade from an entry that did not decode, and operators missing `$`.

    def known(self, section: str, name: str) -> bool:
        """Whether ``name`` is defined in ``section``, decoded or not (a broken one is reported once)."""
        return name in getattr(self.rules, section) or (section, name) in self.rules.broken

    def event_names(self) -> set[str]:
        """Every declared event name, those that did not decode included."""
        return set(self.rules.events) | {name for section, name in self.rules.broken if section == "events"}

    def operator_hints(self, source: Source, path: Path, condition: object) -> None:
        """Warn about keys that look like an operator written without its `$`."""
        for where, message in operator_typos(condition, path):
            self.warn(source, where, message)

    def cycles(self, section: str, edges: dict[str, list[str]]) -> None:
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(node: str, stack: list[str]) -> None:
            state[node] = 1
            for nxt in edges.get(node, []):
                if nxt not in edges:
                    continue
                if state.get(nxt) == 1:
                    cycle = [*stack[stack.index(nxt) :], nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        located = getattr(self.rules, section)[nxt]
                        field = "segments" if section == "segments" else "prerequisites"
                        kind = "segment" if section == "segments" else "prerequisite"
                        self.error(located.source, (section, nxt, field), f"{kind} cycle: {' -> '.join(cycle)}")
                elif state.get(nxt) is None:
                    visit(nxt, [*stack, nxt])
            state[node] = 2

        for node in sorted(edges):
            if node not in state:
                visit(node, [node])


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def load_rules(paths: list[str]) -> tuple[RuleSet, list[Diagnostic]]:
    """Read, decode and merge every rule file under ``paths``; duplicates across files are errors."""
    rules = RuleSet()
    found: list[Diagnostic] = []
    files = rule_files(paths)
    if not files:
        found.append(Diagnostic(file=", ".join(paths) or ".", line=None, path=(), message="no .yaml rule files found"))
    for file in files:
        source, problems = read_source(file)
        found.extend(problems)
        if source is None:
            continue
        decoded, problems, broken = decode_source(source)
        found.extend(problems)
        rules.broken |= broken
        for section, entries in decoded.items():
            target: dict[str, Located] = getattr(rules, section)
            for name, value in entries.items():
                if name in target:
                    first = target[name].source
                    path = (section, name)
                    where = f"{first.file}:{first.line(path)}"
                    found.append(
                        Diagnostic(
                            file=source.file,
                            line=source.line(path),
                            path=path,
                            message=f"duplicate {section[:-1]} `{name}` (first defined in {where})",
                        )
                    )
                    continue
                target[name] = Located(name=name, source=source, value=value)
    return rules, found


def validate(
    paths: list[str], today: datetime.date | None = None, strict: bool = False
) -> tuple[RuleSet, list[Diagnostic]]:
    """Load and check rules; the RuleSet is only safe to compile when no finding is an error."""
    rules, found = load_rules(paths)
    found.extend(Checker(rules, today or datetime.date.today(), strict).run())
    found.sort(key=lambda d: (d.file, d.line or 0, d.message))
    return rules, found


def has_errors(found: Iterable[Diagnostic]) -> bool:
    """True when any finding is an error."""
    return any(d.severity == "error" for d in found)
