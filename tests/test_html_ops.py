"""html_ops dispatch on a recording element (the real HTMLRewriter runs in test_edge.py)."""

import pytest

from swerve_edge import html_ops


class Element:
    def __init__(self, classes: str | None) -> None:
        self.attributes = {} if classes is None else {"class": classes}
        self.calls: list[tuple] = []

    def getAttribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    def setAttribute(self, name: str, value: str) -> None:
        self.attributes[name] = value

    def removeAttribute(self, name: str) -> None:
        self.attributes.pop(name, None)


@pytest.mark.parametrize(
    ("classes", "op", "expected"),
    [
        ("a b", ["s", "add_class", "c"], {"class": "a b c"}),
        ("a b", ["s", "add_class", "a"], {"class": "a b"}),
        (None, ["s", "add_class", "a"], {"class": "a"}),
        ("a b", ["s", "remove_class", "a"], {"class": "b"}),
        ("a", ["s", "remove_class", "a"], {}),
        ("a", ["s", "set_attribute", "href", "/x"], {"class": "a", "href": "/x"}),
    ],
)
def test_class_and_attribute_actions(classes: str | None, op: list, expected: dict) -> None:
    element = Element(classes)
    html_ops.apply(element, op, {"html": True})
    assert element.attributes == expected


def test_unknown_action_raises() -> None:
    with pytest.raises(ValueError, match="unknown HTML action"):
        html_ops.apply(Element(None), ["s", "explode"], {"html": True})
