"""HTML operations checked once per ruleset version, before any page streams.

A compiled variant lists its operations as ``[selector, action, *args]``. Once HTMLRewriter
streams a page, an exception in a handler ends the response early, so everything that can
be checked beforehand is checked here, when the loader reads a version: the action is one
this Worker knows with the arguments it takes, HTMLRewriter accepts the selector, and
attribute and class names are ones HTML can hold. An operation that fails a check is
``Dropped`` (skipped and counted on every page it would have applied to, see ``skips``);
the rest of its variant still applies. ``swerve validate`` uses the same checks, so a
ruleset it accepts loses nothing here.
"""

from typing import NamedTuple

from .charset import ascii_attribute, ascii_html, ascii_text
from .css_selectors import selector_problem

# Each action and the number of string arguments it takes after the selector.
ACTIONS = {
    "set_html": 1,
    "set_text": 1,
    "set_attribute": 2,
    "remove_attribute": 1,
    "add_class": 1,
    "remove_class": 1,
    "append": 1,
    "prepend": 1,
    "before": 1,
    "after": 1,
    "replace": 1,
    "remove": 0,
}
HTML_CONTENT = frozenset({"set_html", "append", "prepend", "before", "after", "replace"})
# HTML syntax: attribute names exclude controls, space, quotes, `>`, `/`, `=` (and `<`, a parse
# error); Swerve also keeps them ASCII, so they read the same in every charset.
_ATTRIBUTE_FORBIDDEN = frozenset("\"'<>/=")
_ASCII_WHITESPACE = frozenset(" \t\n\f\r")


class Operation(NamedTuple):
    """An operation this Worker can apply: its content as written and in ASCII (``charset``)."""

    index: int
    selector: str
    action: str
    args: tuple[str, ...]
    ascii_args: tuple[str, ...]


class Dropped(NamedTuple):
    """An operation this Worker will not apply, with the kind of problem and what to do."""

    index: int
    kind: str
    reason: str


def attribute_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be an attribute name Swerve writes, or None."""
    if type(name) is not str or not name:
        return "an attribute name cannot be empty"
    for ch in name:
        if not ("\x21" <= ch <= "\x7e") or ch in _ATTRIBUTE_FORBIDDEN:
            shown = repr(ch) if ch.isprintable() and ch != " " else f"U+{ord(ch):04X}"
            return (
                f"attribute name {name!r} holds {shown}: use ASCII letters, digits and punctuation other than "
                "quotes, `<`, `>`, `/` and `=` (no spaces)"
            )
    return None


def class_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be one class of an element's ``class`` list, or None."""
    if type(name) is not str or not name:
        return "a class name cannot be empty"
    if any(ch in _ASCII_WHITESPACE for ch in name):
        return f"class name {name!r} holds whitespace, which separates classes: give one class per operation"
    return None


def _ascii(action: str, args: tuple[str, ...]) -> tuple[str, ...]:
    if action in HTML_CONTENT:
        return (ascii_html(args[0]),)
    if action == "set_text":
        # ASCII text stays text (lol-html escapes it); other text becomes escaped ASCII HTML.
        return args if args[0].isascii() else (ascii_text(args[0]),)
    if action == "set_attribute":
        return (args[0], ascii_attribute(args[1]))
    return args


def check(op: object) -> tuple[str, str] | None:
    """``(kind, reason)`` when this Worker cannot apply a compiled operation, else None."""
    if type(op) is not list or len(op) < 2 or type(op[0]) is not str or type(op[1]) is not str:
        return "malformed", "an operation is [selector, action, arguments...]"
    selector, action, args = op[0], op[1], op[2:]
    if action not in ACTIONS:
        return "unknown-action", f"action {action!r} is unknown to this Worker: deploy the current worker/"
    if len(args) != ACTIONS[action] or not all(type(a) is str for a in args):
        return "malformed", f"{action} takes {ACTIONS[action]} string argument(s)"
    problem = selector_problem(selector)
    if problem:
        return "selector", problem
    if action in ("set_attribute", "remove_attribute"):
        problem = attribute_name_problem(args[0])
        if problem:
            return "attribute-name", problem
    if action in ("add_class", "remove_class"):
        problem = class_name_problem(args[0])
        if problem:
            return "class-name", problem
    return None


def prepare(ops: object) -> tuple[tuple[Operation, ...], tuple[Dropped, ...]]:
    """A variant's compiled ``ops`` split into operations to apply and operations dropped."""
    if type(ops) is not list:
        return (), (Dropped(0, "malformed", "a variant's ops must be a list"),)
    kept: list[Operation] = []
    dropped: list[Dropped] = []
    for index, op in enumerate(ops):
        problem = check(op)
        if problem:
            dropped.append(Dropped(index, *problem))
            continue
        args = tuple(op[2:])
        kept.append(Operation(index, op[0], op[1], args, _ascii(op[1], args)))
    return tuple(kept), tuple(dropped)
