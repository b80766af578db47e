"""GrowthBook-syntax conditions compiled once into closures.

A condition such as ``{"request.country": {"$in": ["DE", "AT"]}}`` becomes a function
of the attribute dict. Compiling happens when a ruleset is loaded, so a request only
calls closures: no dict walking over the condition, no operator dispatch.

Semantics follow GrowthBook's JavaScript SDK (the conformance suite checks this), with
one deliberate difference: a missing attribute never equals a string, number or
boolean shorthand (JavaScript would let a missing value equal ``"null"`` or ``0``).
Malformed conditions compile to a predicate that is always false instead of raising.
"""

import re
from collections.abc import Callable, Mapping

from .jsvalues import compare, is_number, js_type, json_stringify, strict_equal, to_number, to_string
from .regex_safety import bounded_search
from .versions import padded_version

Predicate = Callable[[object], bool]
ValueTest = Callable[[object], bool]

LOGICAL_OPERATORS = frozenset({"$and", "$or", "$nor", "$not"})
VALUE_OPERATORS = frozenset(
    {
        "$eq", "$ne", "$lt", "$lte", "$gt", "$gte",
        "$veq", "$vne", "$vlt", "$vlte", "$vgt", "$vgte",
        "$in", "$nin", "$ini", "$nini", "$all", "$alli",
        "$inGroup", "$notInGroup",
        "$exists", "$type", "$size", "$elemMatch", "$not",
        "$regex", "$regexi",
    }
)  # fmt: skip

_NEVER: Predicate = lambda _value: False


def is_operator_object(value: object) -> bool:
    """True for a non-empty dict whose keys all start with ``$``."""
    return type(value) is dict and bool(value) and all(k[:1] == "$" for k in value)


def js_truthy(value: object) -> bool:
    """JavaScript truthiness (``[]`` and ``{}`` are truthy, NaN is not)."""
    t = type(value)
    if t is list or t is dict:
        return True
    if t is float:
        return value == value and value != 0
    return bool(value)


def path_getter(path: str) -> Callable[[object], object]:
    """A function reading a dotted path; None when any step is missing."""
    parts = path.split(".")

    def step(current: object, part: str) -> object:
        t = type(current)
        if t is dict:
            return current.get(part)
        if t is list and part.isdigit() and int(part) < len(current):
            return current[int(part)]
        return None

    if len(parts) == 1:
        key = parts[0]
        return lambda obj: obj.get(key) if type(obj) is dict else step(obj, key)
    if len(parts) == 2:
        first, second = parts

        def get2(obj: object) -> object:
            inner = obj.get(first) if type(obj) is dict else step(obj, first)
            return inner.get(second) if type(inner) is dict else step(inner, second)

        return get2

    def get(obj: object) -> object:
        for part in parts:
            obj = step(obj, part)
            if obj is None:
                return None
        return obj

    return get


def compile_condition(condition: object, groups: Mapping[str, list] | None = None) -> Predicate:
    """Compile a condition document into a predicate over an attribute dict."""
    if type(condition) is not dict:
        return _NEVER
    groups = groups or {}
    tests: list[Predicate] = []
    for key, spec in condition.items():
        if key in ("$or", "$nor", "$and"):
            if type(spec) is not list:
                return _NEVER
            parts = [compile_condition(c, groups) for c in spec]
            if key == "$and":
                tests.append(_all_of(parts))
            elif key == "$or":
                tests.append(_any_of(parts))
            else:
                any_part = _any_of(parts)
                tests.append(lambda attrs, f=any_part: not f(attrs))
        elif key == "$not":
            inner = compile_condition(spec, groups)
            tests.append(lambda attrs, f=inner: not f(attrs))
        else:
            get = path_getter(key)
            check = compile_value(spec, groups)
            tests.append(lambda attrs, g=get, c=check: c(g(attrs)))
    return _all_of(tests)


def _all_of(tests: list[Predicate]) -> Predicate:
    if not tests:
        return lambda _attrs: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda attrs: first(attrs) and second(attrs)
    return lambda attrs: all(t(attrs) for t in tests)


def _any_of(tests: list[Predicate]) -> Predicate:
    # GrowthBook: an empty $or passes.
    if not tests:
        return lambda _attrs: True
    if len(tests) == 1:
        return tests[0]
    return lambda attrs: any(t(attrs) for t in tests)


def compile_value(spec: object, groups: Mapping[str, list] | None = None) -> ValueTest:
    """Compile the right-hand side of a path condition into a test of one value."""
    groups = groups or {}
    t = type(spec)
    if t is str:
        return lambda v: v is not None and (v == spec if type(v) is str else to_string(v) == spec)
    if t is bool:
        return lambda v: v is not None and js_truthy(v) is spec
    if t is int or t is float:
        return lambda v: v is not None and (v == spec if is_number(v) else to_number(v) == spec)
    if spec is None:
        return lambda v: v is None
    if not is_operator_object(spec):
        expected = json_stringify(spec)
        return lambda v: json_stringify(v) == expected
    tests = [compile_operator(op, arg, groups) for op, arg in spec.items()]
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(test(v) for test in tests)


def _membership(expected: list, fold: bool) -> ValueTest:
    """JavaScript ``includes`` semantics: 1 and True are different values."""
    if fold:
        expected = [e.lower() if type(e) is str else e for e in expected]
    plain = {e for e in expected if type(e) in (str, int, float)}
    flags = {e for e in expected if type(e) is bool}
    has_none = any(e is None for e in expected)
    rest = [e for e in expected if type(e) in (list, dict)]

    def contains(v: object) -> bool:
        tv = type(v)
        if tv is str:
            return (v.lower() if fold else v) in plain
        if tv is int or tv is float:
            return v in plain
        if tv is bool:
            return v in flags
        if v is None:
            return has_none
        return any(strict_equal(v, e) for e in rest)

    def is_in(v: object) -> bool:
        if type(v) is list:
            return any(contains(item) for item in v)
        return contains(v)

    return is_in


def _regex(pattern: object, flags: int) -> ValueTest:
    # Attributes may come from visitors: matching is bounded and unsafe patterns never match.
    search = bounded_search(pattern, flags)

    def test(v: object) -> bool:
        if type(v) is str:
            return search(v)
        if v is None or type(v) in (list, dict):
            return False
        return search(to_string(v))

    return test


def _ordered(arg: object, accept: Callable[[int], bool]) -> ValueTest:
    if is_number(arg):

        def test_number(v: object) -> bool:
            if type(v) is int or type(v) is float:
                return accept((v > arg) - (v < arg))
            order = compare(v, arg)
            return order is not None and accept(order)

        return test_number

    def test(v: object) -> bool:
        order = compare(v, arg)
        return order is not None and accept(order)

    return test


_ORDER: dict[str, Callable[[int], bool]] = {
    "$lt": lambda o: o < 0,
    "$lte": lambda o: o <= 0,
    "$gt": lambda o: o > 0,
    "$gte": lambda o: o >= 0,
}
_VERSION_ORDER: dict[str, Callable[[str, str], bool]] = {
    "$veq": lambda a, b: a == b,
    "$vne": lambda a, b: a != b,
    "$vlt": lambda a, b: a < b,
    "$vlte": lambda a, b: a <= b,
    "$vgt": lambda a, b: a > b,
    "$vgte": lambda a, b: a >= b,
}


def compile_operator(op: str, arg: object, groups: Mapping[str, list]) -> ValueTest:
    """Compile one ``$operator: argument`` pair; unknown operators never match."""
    if op in _ORDER:
        return _ordered(arg, _ORDER[op])
    if op in _VERSION_ORDER:
        relation = _VERSION_ORDER[op]
        expected = padded_version(arg)
        return lambda v: relation(padded_version(v), expected)
    if op == "$eq":
        return lambda v: strict_equal(v, arg)
    if op == "$ne":
        return lambda v: not strict_equal(v, arg)
    if op in ("$in", "$ini", "$nin", "$nini"):
        if type(arg) is not list:
            return _NEVER
        is_in = _membership(arg, fold=op in ("$ini", "$nini"))
        if op in ("$in", "$ini"):
            return is_in
        return lambda v: not is_in(v)
    if op in ("$inGroup", "$notInGroup"):
        members = groups.get(arg, []) if type(arg) is str else []
        is_in = _membership(members if type(members) is list else [], fold=False)
        if op == "$inGroup":
            return is_in
        return lambda v: not is_in(v)
    if op == "$exists":
        want = js_truthy(arg)
        return lambda v: (v is not None) is want
    if op == "$type":
        return lambda v: js_type(v) == arg
    if op == "$not":
        inner = compile_value(arg, groups)
        return lambda v: not inner(v)
    if op == "$size":
        inner = compile_value(arg, groups)
        return lambda v: type(v) is list and inner(len(v))
    if op == "$elemMatch":
        item_test = compile_value(arg, groups) if is_operator_object(arg) else compile_condition(arg, groups)
        return lambda v: type(v) is list and any(item_test(item) for item in v)
    if op in ("$all", "$alli"):
        if type(arg) is not list:
            return _NEVER
        fold = op == "$alli"
        wanted = [compile_value(e.lower() if fold and type(e) is str else e, groups) for e in arg]

        def test_all(v: object) -> bool:
            if type(v) is not list:
                return False
            items = [i.lower() if fold and type(i) is str else i for i in v]
            return all(any(w(item) for item in items) for w in wanted)

        return test_all
    if op == "$regex":
        return _regex(arg, 0)
    if op == "$regexi":
        return _regex(arg, re.IGNORECASE)
    return _NEVER


def eval_condition(attributes: object, condition: object, groups: Mapping[str, list] | None = None) -> bool:
    """Evaluate a condition once (compiles it; prefer ``compile_condition`` in loops)."""
    return compile_condition(condition, groups)(attributes)
