"""Applying one compiled HTML operation to an HTMLRewriter element.

``element`` is lol-html's Element (through Pyodide at the edge); ``as_html`` is the
options object ``{html: true}`` the entry creates once, so inserted content is parsed
as HTML. ``set_text`` passes no options: lol-html escapes the text.
"""


def _classes(element: object) -> list[str]:
    value = element.getAttribute("class")
    return value.split() if isinstance(value, str) else []


def apply(element: object, op: list, as_html: object) -> None:
    """Carry out ``[selector, action, *args]`` on ``element``."""
    action = op[1]
    if action == "set_html":
        element.setInnerContent(op[2], as_html)
    elif action == "set_text":
        element.setInnerContent(op[2])
    elif action == "set_attribute":
        element.setAttribute(op[2], op[3])
    elif action == "remove_attribute":
        element.removeAttribute(op[2])
    elif action == "add_class":
        classes = _classes(element)
        if op[2] not in classes:
            element.setAttribute("class", " ".join([*classes, op[2]]))
    elif action == "remove_class":
        kept = [c for c in _classes(element) if c != op[2]]
        if kept:
            element.setAttribute("class", " ".join(kept))
        else:
            element.removeAttribute("class")
    elif action in ("append", "prepend", "before", "after", "replace"):
        getattr(element, action)(op[2], as_html)
    elif action == "remove":
        element.remove()
    else:
        raise ValueError(f"unknown HTML action {action!r}")
