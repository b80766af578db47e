"""Operators written without their ``$``: valid syntax that silently never matches.

``user.plan: { in: [pro] }`` compares ``user.plan`` with the object ``{"in": ["pro"]}``
(GrowthBook's syntax reads a mapping without ``$`` keys as a value to equal), so the rule
never applies. ``swerve validate`` warns about each such key, with the fix.
"""

import json
from collections.abc import Iterator
from typing import Any

from swerve_edge.conditions import LOGICAL_OPERATORS, VALUE_OPERATORS

_LOGICAL = {op[1:]: op for op in LOGICAL_OPERATORS}
_VALUE = {op[1:]: op for op in VALUE_OPERATORS}


def _value(value: Any, path: tuple, attribute: str) -> Iterator[tuple[tuple, str]]:
    if not isinstance(value, dict):
        return
    for key, inner in value.items():
        if not isinstance(key, str):
            continue
        if key in _VALUE:
            shown = json.dumps({key: inner}, ensure_ascii=False)
            yield (
                (*path, key),
                f"`{key}` looks like the operator `{_VALUE[key]}` without its `$`: as written, {attribute} must "
                f"equal the object {shown}, which never happens; write `{_VALUE[key]}`",
            )
        elif key in ("$not", "$size"):
            yield from _value(inner, (*path, key), attribute)
        elif key == "$elemMatch" and isinstance(inner, dict):
            yield from operator_typos(inner, (*path, key))


def operator_typos(condition: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path, message) for every key of ``condition`` that is an operator missing its ``$``."""
    if not isinstance(condition, dict):
        return
    for key, value in condition.items():
        here = (*path, key)
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            for i, item in enumerate(value):
                yield from operator_typos(item, (*here, i))
        elif key == "$not":
            yield from operator_typos(value, here)
        elif isinstance(key, str) and key in _LOGICAL:
            yield here, f"`{key}` looks like the operator `{_LOGICAL[key]}` without its `$`: write `{_LOGICAL[key]}`"
        elif isinstance(key, str) and not key.startswith("$"):
            yield from _value(value, here, key)
