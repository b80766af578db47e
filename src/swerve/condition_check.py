"""Static checks of GrowthBook-syntax conditions: operators, argument types, regexes, attributes."""

import difflib
from collections.abc import Callable
from typing import Any

from swerve_edge import regex_safety
from swerve_edge.attributes import MAPPINGS, ROOTS
from swerve_edge.conditions import LOGICAL_OPERATORS, VALUE_OPERATORS

Report = Callable[[tuple[str | int, ...], str], None]

_TYPES = ("string", "number", "boolean", "null", "array", "object")
_ALL_OPERATORS = sorted(LOGICAL_OPERATORS | VALUE_OPERATORS)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unknown_operator(op: str) -> str:
    close = difflib.get_close_matches(op, _ALL_OPERATORS, n=1)
    return f"unknown operator `{op}`" + (f" (did you mean `{close[0]}`?)" if close else "")


def check_attribute(path: str, events: set[str]) -> str | None:
    """A message when ``path`` is not in the documented namespace, else None."""
    parts = path.split(".")
    root = parts[0]
    if root not in ROOTS:
        close = difflib.get_close_matches(root, list(ROOTS), n=1)
        hint = f"did you mean `{close[0]}`?" if close else "expected request.*, user.* or behavior.*"
        return f"unknown attribute `{path}` ({hint})"
    if len(parts) < 2:
        return f"attribute `{path}` needs a name after `{root}.`"
    names = ROOTS[root]
    if "*" in names:
        return None
    if parts[1] not in names:
        close = difflib.get_close_matches(parts[1], list(names), n=1)
        hint = f"did you mean `{root}.{close[0]}`?" if close else "see docs/rules.md, Attributes"
        return f"unknown attribute `{path}` ({hint})"
    prefix = f"{root}.{parts[1]}"
    if prefix in MAPPINGS:
        if len(parts) != 3:
            return f"`{prefix}` needs exactly one name after it, as in `{prefix}.<name>`"
        if prefix == "behavior.events" and parts[2] not in events:
            close = difflib.get_close_matches(parts[2], sorted(events), n=1)
            hint = f"did you mean `{close[0]}`?" if close else "declare it under events:"
            return f"event `{parts[2]}` is not declared ({hint})"
    elif len(parts) > 2:
        return f"attribute `{prefix}` has no fields"
    return None


def check_condition(condition: Any, report: Report, events: set[str], path: tuple = (), free: bool = False) -> None:
    """Report every problem in a condition. ``free`` skips namespace checks ($elemMatch items)."""
    if not isinstance(condition, dict):
        report(path, f"expected a condition mapping, got {type(condition).__name__}")
        return
    for key, value in condition.items():
        here = (*path, key)
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list):
                report(here, f"`{key}` expects a list of conditions")
                continue
            for i, item in enumerate(value):
                check_condition(item, report, events, (*here, i), free)
        elif key == "$not":
            check_condition(value, report, events, here, free)
        elif isinstance(key, str) and key.startswith("$"):
            report(here, _unknown_operator(key))
        else:
            if not free:
                problem = check_attribute(str(key), events)
                if problem:
                    report(here, problem)
            check_value(value, report, events, here)


def _is_operator_object(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and all(str(k).startswith("$") for k in value)


def check_value(value: Any, report: Report, events: set[str], path: tuple) -> None:
    """Check the right-hand side of an attribute condition."""
    if not isinstance(value, dict) or not value:
        return
    keys = [str(k) for k in value]
    if not _is_operator_object(value):
        if any(k.startswith("$") for k in keys):
            report(path, "mixes operators and plain fields; use only `$` operators here")
        return
    for op, arg in value.items():
        _check_operator(op, arg, report, events, (*path, op))


def _check_operator(op: str, arg: Any, report: Report, events: set[str], here: tuple) -> None:
    if op in ("$lt", "$lte", "$gt", "$gte"):
        if not (_is_number(arg) or isinstance(arg, str)):
            report(here, f"`{op}` expects a number or a string, got {type(arg).__name__}")
    elif op in ("$veq", "$vne", "$vlt", "$vlte", "$vgt", "$vgte"):
        if not isinstance(arg, str):
            report(here, f'`{op}` expects a version string such as "1.2.3", got {type(arg).__name__}')
    elif op in ("$in", "$nin", "$ini", "$nini", "$all", "$alli"):
        if not isinstance(arg, list):
            report(here, f"`{op}` expects a list, got {type(arg).__name__}")
        elif op in ("$ini", "$nini", "$alli") and not all(isinstance(a, str) for a in arg):
            report(here, f"`{op}` compares case-insensitively and expects a list of strings")
    elif op in ("$inGroup", "$notInGroup"):
        report(here, f"`{op}` needs GrowthBook saved groups, which Swerve does not have: use a segment or `$in`")
    elif op == "$exists":
        if not isinstance(arg, bool):
            report(here, f"`$exists` expects true or false, got {type(arg).__name__}")
    elif op == "$type":
        if arg not in _TYPES:
            report(here, f"`$type` expects one of {', '.join(_TYPES)}")
    elif op == "$size":
        if _is_number(arg):
            if arg < 0 or arg != int(arg):
                report(here, "`$size` expects a whole number >= 0")
        elif _is_operator_object(arg):
            check_value(arg, report, events, here)
        else:
            report(here, f"`$size` expects a number or an operator condition, got {type(arg).__name__}")
    elif op == "$elemMatch":
        if _is_operator_object(arg):
            check_value(arg, report, events, here)
        elif isinstance(arg, dict):
            check_condition(arg, report, events, here, free=True)
        else:
            report(here, "`$elemMatch` expects a condition")
    elif op == "$not":
        if isinstance(arg, dict):
            check_value(arg, report, events, here)
    elif op in ("$regex", "$regexi"):
        if not isinstance(arg, str):
            report(here, f"`{op}` expects a regular expression string")
        else:
            problem = regex_problem(arg, ignore_case=op == "$regexi")
            if problem:
                report(here, problem)
    elif op not in ("$eq", "$ne"):
        report(here, _unknown_operator(op))


def regex_problem(pattern: str, ignore_case: bool = False) -> str | None:
    """A message when the edge would never match ``pattern``: it does not compile with Python's
    ``re`` (the edge's engine), or its matching time could explode on visitor input."""
    return regex_safety.regex_problem(pattern, ignore_case)


def referenced_attributes(condition: Any) -> set[str]:
    """Every attribute path a condition reads (outside $elemMatch items)."""
    found: set[str] = set()
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key in ("$and", "$or", "$nor") and isinstance(value, list):
                for item in value:
                    found |= referenced_attributes(item)
            elif key == "$not":
                found |= referenced_attributes(value)
            elif isinstance(key, str) and not key.startswith("$"):
                found.add(key)
    return found
