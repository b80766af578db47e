"""Applying one checked HTML operation to an HTMLRewriter element.

``element`` is lol-html's Element (through Pyodide at the edge); ``as_html`` is the options
object ``{html: true}`` the entry creates once, so inserted content is parsed as HTML.
``set_text`` passes no options: lol-html escapes the text. Operations arrive checked
(``operations``); what can still only be found on the element itself raises ``Skip``, which
the entry counts instead of letting it end the page.
"""

from collections.abc import Callable
from typing import NamedTuple

from .charset import ascii_attribute
from .operations import Operation

_TO_SPACE = str.maketrans("\t\n\f\r", "    ")


class Skip(Exception):
    """This operation cannot apply to this element; the page goes on without it."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Applied(NamedTuple):
    """How one operation is carried out on pages of one kind of charset (see ``charset``)."""

    action: str
    args: tuple[str, ...]
    attribute_value: Callable[[str], str]


def _same(value: str) -> str:
    return value


def applied(operation: Operation, ascii_only: bool) -> Applied:
    """The operation as written (pages declared UTF-8), or in its ASCII form (any other page)."""
    if not ascii_only:
        return Applied(operation.action, operation.args, _same)
    action = operation.action
    if action == "set_text" and operation.ascii_args != operation.args:
        action = "set_html"  # the ASCII form of text is escaped HTML
    return Applied(action, operation.ascii_args, ascii_attribute)


def _classes(element: object) -> list[str]:
    value = element.getAttribute("class")
    if not isinstance(value, str):
        return []
    if "\ufffd" in value:
        # lol-html could not decode it in the charset it was told: writing it back would corrupt it.
        raise Skip(
            "undecodable-class",
            "the element's class attribute is not text in the charset the response declares "
            "(declare the page's charset in the Content-Type header)",
        )
    return [name for name in value.translate(_TO_SPACE).split(" ") if name]


def apply(element: object, how: Applied, as_html: object) -> None:
    """Carry out one operation on ``element``."""
    action = how.action
    args = how.args
    if action == "set_html":
        element.setInnerContent(args[0], as_html)
    elif action == "set_text":
        element.setInnerContent(args[0])
    elif action == "set_attribute":
        element.setAttribute(args[0], args[1])
    elif action == "remove_attribute":
        element.removeAttribute(args[0])
    elif action == "add_class":
        classes = _classes(element)
        if args[0] not in classes:
            element.setAttribute("class", how.attribute_value(" ".join([*classes, args[0]])))
    elif action == "remove_class":
        classes = _classes(element)
        if args[0] in classes:
            kept = [c for c in classes if c != args[0]]
            if kept:
                element.setAttribute("class", how.attribute_value(" ".join(kept)))
            else:
                element.removeAttribute("class")
    elif action in ("append", "prepend", "before", "after", "replace"):
        getattr(element, action)(args[0], as_html)
    elif action == "remove":
        element.remove()
    else:
        raise Skip("unknown-action", f"action {action!r} is unknown to this Worker")
