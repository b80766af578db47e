"""Which CSS selectors Cloudflare's HTMLRewriter (lol-html) can run.

cssselect parses the selector; this module walks the parse tree and accepts only the
subset lol-html implements: type, universal, class, id and attribute selectors
(except ``!=``), ``:first-child``, ``:first-of-type``, ``:nth-child()``,
``:nth-of-type()``, ``:not()`` of a simple selector, and the descendant and child
combinators. Sibling combinators, other pseudo-classes and pseudo-elements are refused.
"""

import cssselect
from cssselect import parser as css

_ATTRIBUTE_OPERATORS = {"exists", "=", "~=", "|=", "^=", "$=", "*="}
_PSEUDO_CLASSES = {"first-child", "first-of-type"}
_FUNCTIONS = {"nth-child", "nth-of-type"}
_COMBINATORS = {" ": "descendant", ">": "child"}


def _check(node: object, inside_not: bool = False) -> str | None:
    if isinstance(node, css.Element):
        return None
    if isinstance(node, css.Class | css.Hash):
        return _check(node.selector, inside_not)
    if isinstance(node, css.Attrib):
        if node.operator not in _ATTRIBUTE_OPERATORS:
            return f"attribute operator `{node.operator}` is not supported by HTMLRewriter"
        return _check(node.selector, inside_not)
    if isinstance(node, css.Pseudo):
        if node.ident not in _PSEUDO_CLASSES:
            return f"`:{node.ident}` is not supported by HTMLRewriter (it sees the page as a stream)"
        return _check(node.selector, inside_not)
    if isinstance(node, css.Function):
        if node.name not in _FUNCTIONS:
            return f"`:{node.name}()` is not supported by HTMLRewriter"
        return _check(node.selector, inside_not)
    if isinstance(node, css.Negation):
        if inside_not or isinstance(node.subselector, css.CombinedSelector):
            return "`:not()` takes only a simple selector in HTMLRewriter"
        return _check(node.selector, inside_not) or _check(node.subselector, inside_not=True)
    if isinstance(node, css.CombinedSelector):
        if inside_not:
            return "`:not()` takes only a simple selector in HTMLRewriter"
        if node.combinator not in _COMBINATORS:
            return (
                f"the `{node.combinator}` sibling combinator is not supported by HTMLRewriter (use descendant or `>`)"
            )
        return _check(node.selector) or _check(node.subselector)
    return f"`{type(node).__name__}` selectors are not supported by HTMLRewriter"


def selector_problem(selector: str) -> str | None:
    """A message when HTMLRewriter cannot run ``selector``, else None."""
    if not selector.strip():
        return "selector is empty"
    try:
        parsed = cssselect.parse(selector)
    except cssselect.SelectorError as exc:
        return f"selector {selector!r} does not parse: {exc}"
    for item in parsed:
        if item.pseudo_element:
            return f"pseudo-element `::{item.pseudo_element}` is not supported by HTMLRewriter"
        problem = _check(item.parsed_tree)
        if problem:
            return f"selector {selector!r}: {problem}"
    return None
