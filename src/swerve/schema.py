"""The rule source format, as msgspec Structs decoded strictly.

Rule files are YAML with three top-level mappings: ``flags``, ``segments`` and
``events``, each keyed by name. Any number of files are merged. Every Struct forbids
unknown fields; ``docs/rules.md`` documents each field and ``editor_schema`` builds the
JSON Schema for editors from these Structs.
"""

import datetime
from typing import Annotated, Any

import msgspec

Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Condition = dict[str, Any]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    pass


class HtmlOp(_Strict, kw_only=True):
    """One change to the page, applied by HTMLRewriter to every element ``selector`` matches.

    Exactly one action field is set. Content for ``append``, ``prepend``, ``before``,
    ``after``, ``replace`` and ``set_html`` is HTML; ``set_text`` is escaped text.
    """

    selector: str
    set_html: str | None = None
    set_text: str | None = None
    set_attribute: dict[str, str] | None = None
    remove_attribute: str | None = None
    add_class: str | None = None
    remove_class: str | None = None
    append: str | None = None
    prepend: str | None = None
    before: str | None = None
    after: str | None = None
    replace: str | None = None
    remove: bool = False


ACTIONS = tuple(f for f in HtmlOp.__struct_fields__ if f != "selector")


class Variant(_Strict, kw_only=True):
    """What a visitor in this variant gets: a value for client code and page changes."""

    value: Any = None
    description: str = ""
    html: list[HtmlOp] = []
    serve_path: str | None = None


class Ramp(_Strict, kw_only=True):
    """A new variant's way up: ``swerve advance`` moves it one step when the guardrails hold.

    At each step the ramp's variant gets that step's percent; the rollout's other variants
    share the rest in proportion to their weights. A step lasts at least ``min_hours`` and
    until every variant has ``min_units`` visitors exposed since the step began.
    """

    variant: str
    steps: list[Percent]
    min_hours: Annotated[float, msgspec.Meta(ge=0)] = 24
    min_units: Annotated[int, msgspec.Meta(ge=0)] = 100


class Rollout(_Strict, kw_only=True):
    """Weighted split (percent per variant, summing to 100) of ``coverage`` percent of visitors."""

    weights: dict[str, Percent]
    coverage: Percent = 100
    ramp: Ramp | None = None


class Adapt(_Strict, kw_only=True):
    """An adaptive policy: per behavioral context, the arm that converts on ``goal`` gets more traffic.

    ``features`` (at most 4, in order of importance) cut visitors into contexts: numeric
    edges (``behavior.sessions: [2]``) make one bucket below the first edge, one between
    each pair and one from the last; a list of strings (``request.device: [mobile]``) one
    bucket per value plus "other". ``holdout`` percent of visitors get a uniformly random
    arm (the baseline the policy is measured against); ``floor`` is each arm's minimum
    percent; a context gets weights of its own from ``min_units`` visitors; ``swerve learn``
    publishes new weights at most once per ``cadence`` (``30m``, ``1h``, ``1d``).
    """

    arms: list[str]
    goal: str | None = None
    features: dict[str, list[int | float | str]] = {}
    holdout: Percent = 10
    floor: Percent = 1
    min_units: Annotated[int, msgspec.Meta(ge=1)] = 100
    cadence: str = "1h"
    top_two: bool = False


class Rule(_Strict, kw_only=True):
    """A targeting rule: when the condition and all segments match, serve a variant, a rollout or an adaptive policy."""

    description: str = ""
    when: Condition | None = None
    segments: list[str] = []
    variant: str | None = None
    rollout: Rollout | None = None
    adapt: Adapt | None = None


class Prerequisite(_Strict, kw_only=True):
    """Another flag that must have one of ``variants`` for this flag to be evaluated."""

    flag: str
    variants: list[str]


class Schedule(_Strict, kw_only=True):
    """When the flag's rules apply; outside it the default variant is served."""

    start: datetime.datetime | None = None
    end: datetime.datetime | None = None


class Guardrails(_Strict, kw_only=True):
    """What a rolled-out variant must not do; ``swerve advance`` stops a variant that does.

    ``max_error_rate``: percent of exposed visitors' requests the origin answers with a 5xx.
    ``min_conversion_ratio``: the variant's conversion rate on the flag's first goal divided
    by the control's. Neither is judged before each variant has ``min_units`` visitors.
    """

    max_error_rate: Percent | None = None
    min_conversion_ratio: Annotated[float, msgspec.Meta(gt=0, le=1)] | None = None
    min_units: Annotated[int, msgspec.Meta(ge=1)] = 100


class Flag(_Strict, kw_only=True):
    """A feature flag or experiment."""

    description: str = ""
    owner: str | None = None
    expires: datetime.date | None = None
    variants: dict[Name, Variant]
    default: str
    kill_switch: bool = False
    prerequisites: list[Prerequisite] = []
    schedule: Schedule | None = None
    paths: list[str] = []
    rules: list[Rule] = []
    rollout_key: str = "user.anonymous_id"
    seed: str | None = None
    max_exposure: Percent | None = None
    client: bool = False
    sticky: bool = True
    goals: list[str] = []
    control: str | None = None
    guardrails: Guardrails | None = None


class Segment(_Strict, kw_only=True):
    """A named, reusable audience: a condition and/or other segments, all of which must match."""

    description: str = ""
    when: Condition | None = None
    segments: list[str] = []


class Event(_Strict, kw_only=True):
    """A behavior event counted per visitor, from request matches or client posts."""

    description: str = ""
    path: str | None = None
    query: dict[str, str] = {}
    referrer: str | None = None
    client: bool = False


class RuleFile(_Strict, kw_only=True):
    """One YAML file under ``rules/``."""

    flags: dict[Name, Flag] = {}
    segments: dict[Name, Segment] = {}
    events: dict[Name, Event] = {}
