"""The JSON Schema of rule files, for editors: every field described, conditions spelled out.

msgspec derives the structure from the Structs in ``schema``; this module adds a
description to every field (shown on hover), and replaces the free-form ``when`` with
the condition language: the logical operators, every attribute of the namespace (from
``swerve_edge.attributes``, the table the edge fills) and the value operators. The
result is committed as ``rules.schema.json``; rule files name it on their first line
(``# yaml-language-server: $schema=../rules.schema.json``), which the YAML extension of
VS Code (and other editors using yaml-language-server) follows.
"""

from typing import Any

import msgspec

from swerve_edge.attributes import BEHAVIOR, REQUEST, USER

from .schema import RuleFile

SCHEMA_FILE = "rules.schema.json"
_NAME = r"[a-z0-9][a-z0-9_-]{0,63}"

FIELDS: dict[str, dict[str, str]] = {
    "RuleFile": {
        "flags": "Feature flags and experiments, by name.",
        "segments": "Named, reusable audiences, by name.",
        "events": "Behavior events counted per visitor, by name.",
    },
    "Flag": {
        "description": "Free text for people.",
        "owner": "Who answers for this flag (a warning when missing).",
        "expires": "Date after which the flag should be gone, YYYY-MM-DD (a warning when missing or past).",
        "variants": "What visitors can get, by name: a value for page script and HTML changes.",
        "default": "The variant served when the flag is killed, out of schedule, or no rule matches.",
        "kill_switch": "true: every visitor gets the default (`swerve kill` does the same without an edit).",
        "prerequisites": "Other flags that must have one of the listed variants, else the default.",
        "schedule": "When the rules apply; outside [start, end) the default is served.",
        "paths": 'Glob patterns of the paths the flag applies to ("*" crosses "/"); empty: every path.',
        "rules": "Targeting rules in order; the first that matches decides.",
        "rollout_key": "The attribute hashed for rollouts (default user.anonymous_id; user.id is per user).",
        "seed": "Hash seed for rollouts (default: the flag's key).",
        "max_exposure": "Guardrail: the most percent of in-scope visitors off the default (checked on push).",
        "client": "true: the variant's value goes into the page's bootstrap JSON for page script.",
        "sticky": "true (default): a visitor keeps the rollout variant they saw while it keeps a share.",
        "goals": "Events that count as this flag's conversions (the first is the primary goal).",
        "control": "The variant others are compared with (default: the default variant).",
        "guardrails": "What a rolled-out variant must not do; `swerve advance` stops one that does.",
    },
    "Variant": {
        "value": "Any JSON value for client code (in the bootstrap when the flag is `client: true`).",
        "description": "Free text for people.",
        "html": "Changes to the page, applied in order as it streams.",
        "serve_path": "Serve this origin path instead of the requested one (split-URL tests).",
    },
    "HtmlOp": {
        "selector": "CSS selector HTMLRewriter runs (no sibling combinators, no :last-child).",
        "set_html": "Replace the element's inner HTML.",
        "set_text": "Replace the element's content with this text (escaped).",
        "set_attribute": "Set one attribute: { name: value }.",
        "remove_attribute": "Remove this attribute.",
        "add_class": "Add this class.",
        "remove_class": "Remove this class.",
        "append": "Insert this HTML at the end of the element.",
        "prepend": "Insert this HTML at the start of the element.",
        "before": "Insert this HTML before the element.",
        "after": "Insert this HTML after the element.",
        "replace": "Replace the whole element with this HTML.",
        "remove": "true: remove the element.",
    },
    "Prerequisite": {
        "flag": "The other flag (evaluated first).",
        "variants": "This flag is evaluated only when the other one got one of these variants.",
    },
    "Schedule": {
        "start": "When the rules start to apply, with a time zone (2026-12-01T00:00:00Z).",
        "end": "When they stop applying, with a time zone; after start.",
    },
    "Rule": {
        "description": "Free text for people.",
        "when": "A GrowthBook condition on request.*, user.* and behavior.* attributes.",
        "segments": "Segments that must all match too.",
        "variant": "Serve this variant (or give a rollout or an adaptive policy instead).",
        "rollout": "Split matching visitors between variants by a sticky hash (or give a variant instead).",
        "adapt": "Learn per behavioral context which arm converts (`swerve learn`), instead of fixed weights.",
    },
    "Adapt": {
        "arms": "The variants the policy chooses between (at least two).",
        "goal": "The declared event it optimizes (default: the flag's first goal).",
        "features": "At most 4 attributes the edge sets, most important first: numbers with bucket edges "
        "(behavior.sessions: [2]), strings with values ([mobile, tablet], the rest is 'other'); at most 64 contexts.",
        "holdout": "Percent of visitors given a uniformly random arm, to measure the policy (default 10).",
        "floor": "The least percent each arm keeps in every context (default 1).",
        "min_units": "Visitors a context needs before it gets weights of its own (default 100).",
        "cadence": "How often `swerve learn` may publish new weights: 30m, 1h, 1d (default 1h).",
        "top_two": "true: top-two Thompson sampling (finds the best arm sooner, converts less meanwhile).",
    },
    "Rollout": {
        "weights": "Percent per variant, summing to 100.",
        "coverage": "Percent of matching visitors who enter the rollout (default 100); the rest go to the next rule.",
        "ramp": "Raise one variant step by step with `swerve advance` while guardrails hold.",
    },
    "Ramp": {
        "variant": "The variant being ramped up (not the control).",
        "steps": "Its percent at each step, increasing.",
        "min_hours": "The least time a step lasts (default 24).",
        "min_units": "Visitors each variant needs in a step before it can advance (default 100).",
    },
    "Guardrails": {
        "max_error_rate": "The most percent of an exposed visitor's requests the origin may answer with a 5xx.",
        "min_conversion_ratio": "The least conversion rate on the primary goal, as a ratio of the control's (0-1].",
        "min_units": "Visitors each variant needs before a guardrail is judged (default 100).",
    },
    "Segment": {
        "description": "Free text for people.",
        "when": "A GrowthBook condition on request.*, user.* and behavior.* attributes.",
        "segments": "Other segments that must all match too (no cycles).",
    },
    "Event": {
        "description": "Free text for people.",
        "path": "Regular expression searched in the request path.",
        "query": "Regular expression per query parameter: { utm_source: ^newsletter$ }.",
        "referrer": "Regular expression searched in the referrer's host.",
        "client": "true: page script may post it to /__swerve/event.",
    },
}

OPERATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "$eq": ("Equal.", {}),
    "$ne": ("Not equal.", {}),
    "$gt": ("Greater than (numbers, or strings in order).", {"type": ["number", "string"]}),
    "$gte": ("Greater than or equal.", {"type": ["number", "string"]}),
    "$lt": ("Less than.", {"type": ["number", "string"]}),
    "$lte": ("Less than or equal.", {"type": ["number", "string"]}),
    "$in": ("In this list (a list attribute: any item in it).", {"type": "array"}),
    "$nin": ("Not in this list.", {"type": "array"}),
    "$ini": ("In this list, ignoring case.", {"type": "array", "items": {"type": "string"}}),
    "$nini": ("Not in this list, ignoring case.", {"type": "array", "items": {"type": "string"}}),
    "$all": ("A list attribute holding every one of these.", {"type": "array"}),
    "$alli": ("As $all, ignoring case.", {"type": "array", "items": {"type": "string"}}),
    "$elemMatch": ("Some item of a list attribute matches this condition.", {"type": "object"}),
    "$size": ("The list's length: a number or an operator object.", {"type": ["number", "object"]}),
    "$exists": ("Present (true) or absent (false).", {"type": "boolean"}),
    "$type": ("The value's JSON type.", {"enum": ["string", "number", "boolean", "null", "array", "object"]}),
    "$regex": ("A Python regular expression searched in the value.", {"type": "string"}),
    "$regexi": ("As $regex, ignoring case.", {"type": "string"}),
    "$not": ("The inner test fails.", {"$ref": "#/$defs/Test"}),
    "$veq": ("Version equal (1.2.3; pre-releases sort first).", {"type": "string"}),
    "$vne": ("Version not equal.", {"type": "string"}),
    "$vgt": ("Version greater than.", {"type": "string"}),
    "$vgte": ("Version greater than or equal.", {"type": "string"}),
    "$vlt": ("Version less than.", {"type": "string"}),
    "$vlte": ("Version less than or equal.", {"type": "string"}),
}


def _test(description: str) -> dict[str, Any]:
    return {"description": description, "$ref": "#/$defs/Test"}


def _condition() -> dict[str, Any]:
    each = {"type": "array", "items": {"$ref": "#/$defs/Condition"}}
    properties: dict[str, Any] = {
        "$and": {"description": "Every listed condition holds.", **each},
        "$or": {"description": "At least one listed condition holds.", **each},
        "$nor": {"description": "None of the listed conditions holds.", **each},
        "$not": {"description": "The inner condition fails.", "$ref": "#/$defs/Condition"},
    }
    for root, table in (("request", REQUEST), ("user", USER), ("behavior", BEHAVIOR)):
        for name, meaning in table.items():
            if name != "*" and f"{root}.{name}" not in ("request.query", "behavior.events"):
                properties[f"{root}.{name}"] = _test(f"{root}.{name}: {meaning}.")
    return {
        "description": "A GrowthBook condition: attribute paths mapped to a value (equal) or operators; all hold.",
        "type": "object",
        "properties": properties,
        "patternProperties": {
            r"^request\.query\.[^.]+$": _test("request.query.<name>: the first value of a query parameter."),
            r"^behavior\.events\." + _NAME + "$": _test("behavior.events.<name>: how often a declared event happened."),
            r"^user\..+$": _test(f"user.<name>: {USER['*']}."),
        },
        "additionalProperties": False,
    }


def _value_tests() -> dict[str, dict[str, Any]]:
    operators = {op: {"description": text, **shape} for op, (text, shape) in OPERATORS.items()}
    return {
        "Test": {
            "description": "A value the attribute must equal, or an object of `$` operators (all must hold).",
            "anyOf": [{"type": ["string", "number", "boolean", "null", "array"]}, {"$ref": "#/$defs/Operators"}],
        },
        "Operators": {
            "description": "Value operators; each key starts with `$` (`in:` without it never matches).",
            "type": "object",
            "minProperties": 1,
            "properties": operators,
            "additionalProperties": False,
        },
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file, every field described and ``when`` spelled out."""
    schema = msgspec.json.schema(RuleFile)
    definitions = schema["$defs"]
    for struct, fields in FIELDS.items():
        for field, description in fields.items():
            definitions[struct]["properties"][field]["description"] = description
    for struct in ("Rule", "Segment"):
        definitions[struct]["properties"]["when"] = {
            "description": FIELDS[struct]["when"],
            "anyOf": [{"$ref": "#/$defs/Condition"}, {"type": "null"}],
        }
    definitions["Condition"] = _condition()
    definitions.update(_value_tests())
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Swerve rule file",
        "description": "Flags, segments and events (Swerve's docs/rules.md).",
        **schema,
    }


def schema_line(depth: int) -> str:
    """The first line of a rule file ``depth`` folders below the schema file."""
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_FILE}"
