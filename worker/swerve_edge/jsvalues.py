"""JavaScript value semantics for JSON-shaped Python values.

GrowthBook's condition language is defined by its JavaScript SDK, where comparisons
coerce (``"8" > 5``), ``null`` compares as 0 and booleans are not numbers. These helpers
reproduce those rules so that a condition means the same thing at Swerve's edge as in
any GrowthBook SDK.
"""

import json
import math
import re

NAN = float("nan")


def is_number(value: object) -> bool:
    """True for JSON numbers (Python bool is excluded: it is not a JS number)."""
    t = type(value)
    return t is int or t is float


def js_type(value: object) -> str:
    """The GrowthBook ``$type`` name of a value."""
    if value is None:
        return "null"
    t = type(value)
    if t is bool:
        return "boolean"
    if t is int or t is float:
        return "number"
    if t is str:
        return "string"
    if t is list:
        return "array"
    if t is dict:
        return "object"
    return "unknown"


def number_to_string(value: float) -> str:
    """Format a number as JavaScript's ``String(n)`` does for common values."""
    if type(value) is int:
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def to_string(value: object) -> str:
    """JavaScript's ``value + ""`` for JSON values."""
    t = type(value)
    if t is str:
        return value
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return number_to_string(value)
    if t is list:
        return ",".join("" if v is None else to_string(v) for v in value)
    return "[object Object]"


_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)")
_RADIX = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def _string_to_number(text: str) -> float:
    text = text.strip()
    if not text:
        return 0
    if _DECIMAL.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if _RADIX.fullmatch(text):
        return int(text, 0)
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    return NAN


def to_number(value: object) -> float:
    """JavaScript's ``Number(value)`` for JSON values (NaN when not numeric)."""
    t = type(value)
    if t is int or t is float:
        return value
    if value is None:
        return 0
    if t is bool:
        return 1 if value else 0
    if t is str:
        return _string_to_number(value)
    if t is list:
        if not value:
            return 0
        if len(value) == 1:
            return to_number(to_string(value[0]))
    return NAN


def _primitive(value: object) -> object:
    # JS ToPrimitive for arrays and objects is their string form.
    t = type(value)
    if t is list or t is dict:
        return to_string(value)
    return value


def compare(a: object, b: object) -> int | None:
    """JavaScript's abstract relational comparison: -1, 0, 1, or None when undefined (NaN)."""
    a = _primitive(a)
    b = _primitive(b)
    if type(a) is str and type(b) is str:
        return (a > b) - (a < b)
    x = to_number(a)
    y = to_number(b)
    if x != x or y != y:
        return None
    return (x > y) - (x < y)


def strict_equal(a: object, b: object) -> bool:
    """``===`` for primitives; deep, type-strict equality for arrays and objects."""
    ta = type(a)
    tb = type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a == b
    if ta is not tb:
        return False
    if ta is list:
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=False))
    if ta is dict:
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    return a == b


def _normalise(value: object) -> object:
    t = type(value)
    if t is float and value == value and not math.isinf(value) and value == int(value):
        return int(value)
    if t is list:
        return [_normalise(v) for v in value]
    if t is dict:
        return {k: _normalise(v) for k, v in value.items()}
    return value


def json_stringify(value: object) -> str:
    """``JSON.stringify`` for JSON values: compact, key order kept, ``1.0`` written as ``1``."""
    return json.dumps(_normalise(value), separators=(",", ":"), ensure_ascii=False)
