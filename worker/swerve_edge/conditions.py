"""GrowthBook-syntax conditions, written as Python expressions and compiled once.

A condition such as ``{"request.country": {"$in": ["DE", "AT"]}}`` becomes the text of a
Python expression over attribute values read once per call, e.g.
``(p3 in _k4 if s5 else _member(p3, _k6))``, where ``_k4`` and ``_k6`` are values bound in
the generated code's namespace (see ``codegen``: no rule content is ever part of the text).
The ruleset evaluator (``evaluator``) inlines these expressions into its generated function;
``compile_condition`` wraps one condition in a function of its own. This is the one
implementation of the condition language: the helpers below hold the semantics of the
cases that are not inlined.

Semantics follow GrowthBook's JavaScript SDK (the conformance suite checks this), with
one deliberate difference: a missing attribute never equals a string, number or
boolean shorthand (JavaScript would let a missing value equal ``"null"`` or ``0``).
Malformed conditions compile to False instead of raising.
"""

import re
from collections.abc import Callable, Mapping

from .codegen import Function, Source, compiled
from .jsvalues import compare, is_number, js_type, json_stringify, strict_equal, to_number, to_string
from .regex_safety import MAX_MATCHED, NEVER, bounded_search
from .versions import padded_version

Predicate = Callable[[object], bool]

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

# Conditions nested deeper than this continue in a function of their own, so no generated
# expression nests deep enough to trouble Python's parser or compiler.
MAX_DEPTH = 12


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


# ---- helpers the generated code calls for the cases it does not inline ----


def list_item(current: object, index: int) -> object:
    """A path step into a list: the item at ``index``, None when there is none."""
    return current[index] if type(current) is list and index < len(current) else None


class Membership:
    """The expected values of ``$in`` and friends, split by JavaScript type."""

    __slots__ = ("flags", "fold", "has_none", "plain", "rest")

    def __init__(self, expected: list, fold: bool) -> None:
        if fold:
            expected = [e.lower() if type(e) is str else e for e in expected]
        self.fold = fold
        self.plain = frozenset(e for e in expected if type(e) in (str, int, float))
        self.flags = frozenset(e for e in expected if type(e) is bool)
        self.has_none = any(e is None for e in expected)
        self.rest = tuple(e for e in expected if type(e) in (list, dict))


def _contains(v: object, m: Membership) -> bool:
    # JavaScript ``includes`` semantics: 1 and True are different values.
    tv = type(v)
    if tv is str:
        return (v.lower() if m.fold else v) in m.plain
    if tv is int or tv is float:
        return v in m.plain
    if tv is bool:
        return v in m.flags
    if v is None:
        return m.has_none
    return any(strict_equal(v, e) for e in m.rest)


def member(v: object, m: Membership) -> bool:
    """``$in``: the value, or any item of an array value, is one of the expected values."""
    if type(v) is list:
        return any(_contains(item, m) for item in v)
    return _contains(v, m)


def loose_equal_text(v: object, expected: str) -> bool:
    """A string shorthand (``{"path": "abc"}``) for a value that is not a string."""
    return v is not None and to_string(v) == expected


def loose_equal_number(v: object, expected: float) -> bool:
    """A number shorthand for a value that is not a number."""
    return v is not None and to_number(v) == expected


def regex_other(search: Callable[[str], bool], v: object) -> bool:
    """``$regex`` on a value that is not a string: numbers and booleans match as text."""
    if v is None or type(v) in (list, dict):
        return False
    return search(to_string(v))


def order_lt(v: object, arg: object) -> bool:
    """``$lt`` by JavaScript's relational comparison (false when it is undefined)."""
    order = compare(v, arg)
    return order is not None and order < 0


def order_lte(v: object, arg: object) -> bool:
    """``$lte`` by JavaScript's relational comparison."""
    order = compare(v, arg)
    return order is not None and order <= 0


def order_gt(v: object, arg: object) -> bool:
    """``$gt`` by JavaScript's relational comparison."""
    order = compare(v, arg)
    return order is not None and order > 0


def order_gte(v: object, arg: object) -> bool:
    """``$gte`` by JavaScript's relational comparison."""
    order = compare(v, arg)
    return order is not None and order >= 0


def any_item(v: object, test: Callable[[object], bool]) -> bool:
    """``$elemMatch``: an array with an item passing ``test``."""
    return type(v) is list and any(test(item) for item in v)


def all_match(v: object, fold: bool, tests: tuple[Callable[[object], bool], ...]) -> bool:
    """``$all``: an array in which every test is passed by some item."""
    if type(v) is not list:
        return False
    items = [i.lower() if fold and type(i) is str else i for i in v]
    return all(any(test(item) for item in items) for test in tests)


HELPERS: dict[str, object] = {
    "_all_match": all_match,
    "_any_item": any_item,
    "_js_type": js_type,
    "_json": json_stringify,
    "_loose_number": loose_equal_number,
    "_loose_text": loose_equal_text,
    "_list_item": list_item,
    "_member": member,
    "_order_gt": order_gt,
    "_order_gte": order_gte,
    "_order_lt": order_lt,
    "_order_lte": order_lte,
    "_pad": padded_version,
    "_re_other": regex_other,
    "_strict_equal": strict_equal,
    "_to_number": to_number,
    "_to_string": to_string,
    "_truthy": js_truthy,
}

# ---- writing conditions as expressions ----


class Value:
    """A value a condition tests, held in a local of the generated function.

    With ``function`` set (a value read at the top of the function), the type tests and
    derived values (version padding, regex results) are computed at most once per call and
    shared by every condition of the function that tests this value.
    """

    __slots__ = ("_derived", "_is_num", "_is_str", "function", "name", "source")

    def __init__(self, source: Source, name: str, function: Function | None) -> None:
        self.source = source
        self.name = name
        self.function = function
        self._is_str: str | None = None
        self._is_num: str | None = None
        self._derived: dict[tuple, str] = {}

    def is_str(self) -> str:
        """An expression true when the value is a string."""
        if self.function is None:
            return f"(type({self.name}) is str)"
        if self._is_str is None:
            self._is_str = self.source.name("s")
            self.function.early(f"{self._is_str} = type({self.name}) is str")
        return self._is_str

    def is_num(self) -> str:
        """An expression true when the value is a JSON number (not a bool)."""
        if self.function is None:
            return f"(type({self.name}) is int or type({self.name}) is float)"
        if self._is_num is None:
            self._is_num = self.source.name("n")
            self.function.early(f"{self._is_num} = type({self.name}) is int or type({self.name}) is float")
        return self._is_num

    def derived(self, key: tuple, expression: str) -> str:
        """``expression`` (a function of this value), computed at most once per call when hoisted."""
        if self.function is None:
            return expression
        slot = self._derived.get(key)
        if slot is None:
            slot = self._derived[key] = self.source.name("c")
            self.function.early(f"{slot} = _UNSET")
        return f"({slot} if {slot} is not _UNSET else ({slot} := {expression}))"


class Reads:
    """Attribute paths read from a function's root object, each prefix once, at the top."""

    __slots__ = ("_values", "function", "root", "source")

    def __init__(self, source: Source, function: Function, root: str) -> None:
        self.source = source
        self.function = function
        self.root = root
        self._values: dict[tuple[str, ...], Value] = {}

    def value(self, path: str) -> Value:
        """The value at a dotted path (None when any step is missing)."""
        parts = tuple(path.split("."))
        current = self.root
        for end in range(1, len(parts) + 1):
            found = self._values.get(parts[:end])
            if found is None:
                found = self._read(current, parts[end - 1])
                self._values[parts[:end]] = found
            current = found.name
        return found

    def _read(self, current: str, part: str) -> Value:
        name = self.source.name("p")
        key = self.source.const(part)
        index = _list_index(part)
        fallback = "None" if index is None else f"_list_item({current}, {self.source.const(index)})"
        self.function.early(f"{name} = {current}.get({key}) if type({current}) is dict else {fallback}")
        return Value(self.source, name, self.function)


def _list_index(part: str) -> int | None:
    if not (part.isascii() and part.isdigit()):
        return None
    try:
        return int(part)
    except ValueError:  # more digits than int() accepts: no list is that long
        return None


_ORDER_INLINE = {"$lt": "({v} < {a})", "$lte": "(not {v} > {a})", "$gt": "({v} > {a})", "$gte": "(not {v} < {a})"}
_ORDER_HELPER = {"$lt": "_order_lt", "$lte": "_order_lte", "$gt": "_order_gt", "$gte": "_order_gte"}
_VERSION_RELATION = {"$veq": "==", "$vne": "!=", "$vlt": "<", "$vlte": "<=", "$vgt": ">", "$vgte": ">="}


class ConditionWriter:
    """Writes conditions as expressions into a ``Source``; one per generated module."""

    __slots__ = ("_regexes", "groups", "source")

    def __init__(self, source: Source, groups: Mapping[str, object] | None = None) -> None:
        self.source = source
        self.groups = groups or {}
        self._regexes: dict[tuple[str, int], str | None] = {}

    def condition(self, condition: object, reads: Reads, depth: int = 0) -> str:
        """An expression over ``reads.root`` that is True when the condition holds."""
        if type(condition) is not dict:
            return "False"
        if depth >= MAX_DEPTH:
            return f"{self.condition_function(condition)}({reads.root})"
        if any(k in ("$or", "$nor", "$and") and type(s) is not list for k, s in condition.items()):
            return "False"
        tests = []
        for key, spec in condition.items():
            if key in ("$and", "$or", "$nor"):
                parts = [self.condition(c, reads, depth + 1) for c in spec]
                if key == "$and":
                    tests.append(_joined(parts, "and", "True"))
                elif key == "$or":
                    tests.append(_joined(parts, "or", "True"))  # GrowthBook: an empty $or passes
                else:
                    tests.append(f"(not {_joined(parts, 'or', 'True')})")
            elif key == "$not":
                tests.append(f"(not {self.condition(spec, reads, depth + 1)})")
            else:
                tests.append(self.value(spec, reads.value(key), depth + 1))
        return _joined(tests, "and", "True")

    def condition_function(self, condition: object) -> str:
        """A new generated function of one root object testing ``condition``; returns its name."""
        name, function = self.source.function("_cond", ("root",))
        reads = Reads(self.source, function, "root")
        function.line(f"return {self.condition(condition, reads)}")
        return name

    def value_function(self, spec: object) -> str:
        """A new generated function of one value testing it against ``spec``; returns its name."""
        name, function = self.source.function("_test", ("v",))
        function.line(f"return {self.value(spec, Value(self.source, 'v', None), 0)}")
        return name

    def value(self, spec: object, v: Value, depth: int) -> str:
        """An expression testing ``v`` against the right-hand side of a path condition."""
        if depth >= MAX_DEPTH:
            return f"{self.value_function(spec)}({v.name})"
        t = type(spec)
        name = v.name
        if t is str:
            c = self.source.const(spec)
            return f"({name} == {c} if {v.is_str()} else _loose_text({name}, {c}))"
        if t is bool:
            return f"({name} is not None and _truthy({name}) is {'True' if spec else 'False'})"
        if t is int or t is float:
            c = self.source.const(spec)
            return f"({name} == {c} if {v.is_num()} else _loose_number({name}, {c}))"
        if spec is None:
            return f"({name} is None)"
        if not is_operator_object(spec):
            return f"(_json({name}) == {self.source.const(json_stringify(spec))})"
        return _joined([self.operator(op, arg, v, depth) for op, arg in spec.items()], "and", "True")

    def operator(self, op: str, arg: object, v: Value, depth: int) -> str:
        """One ``$operator: argument`` test of ``v``; unknown operators never match."""
        name = v.name
        if op in _ORDER_HELPER:
            a = self.source.const(arg)
            if is_number(arg):
                inline = _ORDER_INLINE[op].format(v=name, a=a)
                return f"({inline} if {v.is_num()} else {_ORDER_HELPER[op]}({name}, {a}))"
            return f"{_ORDER_HELPER[op]}({name}, {a})"
        if op in _VERSION_RELATION:
            expected = self.source.const(padded_version(arg))
            padded = v.derived(("version",), f"_pad({name})")
            return f"({padded} {_VERSION_RELATION[op]} {expected})"
        if op == "$eq":
            return self._equal(arg, v)
        if op == "$ne":
            return f"(not {self._equal(arg, v)})"
        if op in ("$in", "$ini", "$nin", "$nini"):
            if type(arg) is not list:
                return "False"
            test = self._member(arg, op in ("$ini", "$nini"), v)
            return test if op in ("$in", "$ini") else f"(not {test})"
        if op in ("$inGroup", "$notInGroup"):
            members = self.groups.get(arg, []) if type(arg) is str else []
            test = self._member(members if type(members) is list else [], False, v)
            return test if op == "$inGroup" else f"(not {test})"
        if op == "$exists":
            return f"({name} is not None)" if js_truthy(arg) else f"({name} is None)"
        if op == "$type":
            return f"(_js_type({name}) == {self.source.const(arg)})"
        if op == "$not":
            return f"(not {self.value(arg, v, depth + 1)})"
        if op == "$size":
            return f"(type({name}) is list and {self.value_function(arg)}(len({name})))"
        if op == "$elemMatch":
            if is_operator_object(arg):
                return f"_any_item({name}, {self.value_function(arg)})"
            return f"_any_item({name}, {self.condition_function(arg)})"
        if op in ("$all", "$alli"):
            if type(arg) is not list:
                return "False"
            fold = op == "$alli"
            tests = [self.value_function(e.lower() if fold and type(e) is str else e) for e in arg]
            return f"_all_match({name}, {'True' if fold else 'False'}, ({''.join(t + ', ' for t in tests)}))"
        if op in ("$regex", "$regexi"):
            flags = re.IGNORECASE if op == "$regexi" else 0
            search = self._regex(arg, flags)
            if search is None:
                return "False"
            literal = _literal(arg) if not flags else None
            if literal is None:
                test = f"{search}({name})"
            elif literal[0]:  # a pattern without special characters: a plain prefix or substring test
                test = f"(len({name}) <= {MAX_MATCHED} and {name}.startswith({self.source.const(literal[1])}))"
            else:
                test = f"(len({name}) <= {MAX_MATCHED} and {self.source.const(literal[1])} in {name})"
            return v.derived(("regex", search), f"({test} if {v.is_str()} else _re_other({search}, {name}))")
        return "False"

    def _equal(self, arg: object, v: Value) -> str:
        # ``===`` (strict_equal) written out for the argument's type.
        name = v.name
        if type(arg) is str:
            return f"({v.is_str()} and {name} == {self.source.const(arg)})"
        if is_number(arg):
            return f"({v.is_num()} and {name} == {self.source.const(arg)})"
        if type(arg) is bool:
            return f"({name} is {'True' if arg else 'False'})"
        if arg is None:
            return f"({name} is None)"
        return f"_strict_equal({name}, {self.source.const(arg)})"

    def _member(self, expected: list, fold: bool, v: Value) -> str:
        membership = Membership(expected, fold)
        plain = self.source.const(membership.plain)
        m = self.source.const(membership)
        text = f"{v.name}.lower()" if fold else v.name
        return f"({text} in {plain} if {v.is_str()} else _member({v.name}, {m}))"

    def _regex(self, pattern: object, flags: int) -> str | None:
        # Attributes may come from visitors: matching is bounded and unsafe patterns never match.
        if type(pattern) is not str:
            return None
        key = (pattern, flags)
        if key not in self._regexes:
            try:
                search = bounded_search(pattern, flags)
            except (re.error, RecursionError, OverflowError, ValueError):
                search = None
            self._regexes[key] = None if search is None or search is NEVER else self.source.const(search)
        return self._regexes[key]


def _literal(pattern: str) -> tuple[bool, str] | None:
    """``(anchored, text)`` when ``pattern`` is literal text, optionally after ``^``; else None."""
    anchored = pattern.startswith("^")
    text = pattern[1:] if anchored else pattern
    return (anchored, text) if re.escape(text) == text else None


def _joined(parts: list[str], operator: str, empty: str) -> str:
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    return "(" + f" {operator} ".join(parts) + ")"


def compile_condition(condition: object, groups: Mapping[str, object] | None = None) -> Predicate:
    """Compile one condition into a predicate over an attribute dict (the evaluator inlines instead)."""
    source = Source(HELPERS)
    name = ConditionWriter(source, groups).condition_function(condition)
    return compiled(source, name, "<swerve condition>")


def eval_condition(attributes: object, condition: object, groups: Mapping[str, object] | None = None) -> bool:
    """Evaluate a condition once (compiles it; prefer ``compile_condition`` in loops)."""
    return compile_condition(condition, groups)(attributes)
