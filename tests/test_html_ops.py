"""html_ops and operations on a recording element (the real HTMLRewriter runs in the edge tests)."""

import pytest

from swerve_edge import html_ops
from swerve_edge.operations import prepare


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

    def setInnerContent(self, content: str, options: object = None) -> None:
        self.calls.append(("setInnerContent", content, options))


def applied(op: list, ascii_only: bool = False) -> html_ops.Applied:
    (operation,), dropped = prepare([op])
    assert not dropped
    return html_ops.applied(operation, ascii_only)


@pytest.mark.parametrize(
    ("classes", "op", "expected"),
    [
        ("a b", ["s", "add_class", "c"], {"class": "a b c"}),
        ("a b", ["s", "add_class", "a"], {"class": "a b"}),
        (None, ["s", "add_class", "a"], {"class": "a"}),
        ("a\tb", ["s", "remove_class", "a"], {"class": "b"}),
        ("a", ["s", "remove_class", "a"], {}),
        ("a", ["s", "remove_class", "z"], {"class": "a"}),
        ("a", ["s", "set_attribute", "href", "/x"], {"class": "a", "href": "/x"}),
    ],
)
def test_class_and_attribute_actions(classes: str | None, op: list, expected: dict) -> None:
    element = Element(classes)
    html_ops.apply(element, applied(op), {"html": True})
    assert element.attributes == expected


def test_ascii_forms_for_pages_not_declared_utf8() -> None:
    element = Element("über")
    html_ops.apply(element, applied(["s", "add_class", "grün"], ascii_only=True), {"html": True})
    assert element.attributes == {"class": "&#252;ber gr&#252;n"}
    text = Element(None)
    html_ops.apply(text, applied(["s", "set_text", "✓ <b>"], ascii_only=True), "as-html")
    assert text.calls == [("setInnerContent", "&#10003; &lt;b&gt;", "as-html")]
    plain = Element(None)
    html_ops.apply(plain, applied(["s", "set_text", "plain <b>"], ascii_only=True), "as-html")
    assert plain.calls == [("setInnerContent", "plain <b>", None)]  # lol-html escapes ASCII text itself


def test_a_class_attribute_the_rewriter_could_not_decode_is_left_alone() -> None:
    element = Element("\ufffd a")
    with pytest.raises(html_ops.Skip) as skipped:
        html_ops.apply(element, applied(["s", "add_class", "b"]), {"html": True})
    assert skipped.value.kind == "undecodable-class"
    assert element.attributes == {"class": "\ufffd a"}


def test_operations_this_worker_cannot_apply_are_dropped_with_a_reason() -> None:
    kept, dropped = prepare(
        [
            ["h1", "set_text", "ok"],
            ["h1", "explode", "x"],
            ["#123", "remove"],
            ["p", "set_attribute", "data x", "1"],
            ["p", "add_class", "a b"],
            ["p", "set_text"],
            "not an op",
        ]
    )
    assert [op.index for op in kept] == [0]
    assert [(d.index, d.kind) for d in dropped] == [
        (1, "unknown-action"),
        (2, "selector"),
        (3, "attribute-name"),
        (4, "class-name"),
        (5, "malformed"),
        (6, "malformed"),
    ]
    assert "deploy the current worker/" in dropped[0].reason
