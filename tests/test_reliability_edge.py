"""A streaming rewrite never truncates a page, and what validates runs at the edge (issue 11).

One workerd (pinned Miniflare, real local KV) in front of an origin serving real pages of a
few hundred KB (the Python documentation, ``tests/fixtures/pydoc``). Each test publishes its
own ruleset version in the compiled format directly, as a newer CLI or a hand edit in KV
could, including what ``swerve validate`` refuses, and asserts that the visitor gets either
the complete rewritten page or the origin's page, and what the Worker logged about it.
"""

import json
import re
from itertools import count

import pytest
from edge_support import Client, Edge
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import (
    ETAG,
    FUNCTIONS,
    LAST_MODIFIED,
    PNG,
    RE_PAGE,
    PageOrigin,
    document,
    flag,
)
from test_edge import variables

from swerve_edge.digest import content_hash
from swerve_edge.operations import ACTIONS as operation_actions
from swerve_edge.plan import MAX_JSON_BRACKETS
from swerve_edge.ruleset import FORMAT

NAVIGATE = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "sec-fetch-dest": "document",
    "sec-fetch-mode": "navigate",
}
BOOTSTRAP = re.compile(rb'<script type="application/json" id="swerve-flags">(.*?)</script>')
_versions = count(1)


def tail(page: bytes) -> bytes:
    """The end of a doc page after its footer: no test rewrites it, so a complete copy has it."""
    return page[page.rindex(b'<div class="footer">') :]


@pytest.fixture(scope="module")
def origin():
    server = PageOrigin()
    yield server
    server.close()


@pytest.fixture(scope="module")
def edge(origin: PageOrigin, tmp_path_factory: pytest.TempPathFactory):
    worker = Edge(tmp_path_factory.mktemp("kv"), variables(origin, SWERVE_USER_ATTRIBUTES_COOKIE="app_attrs"))
    yield worker
    worker.close()


def publish(edge: Edge, flags: list[dict], **parts: list[dict]) -> int:
    version = next(_versions)
    edge.publish(document(flags, **parts), version)
    return version


def visit(edge: Edge, path: str, headers: dict[str, str] | None = None) -> bytes:
    response = Client(edge).get(path, headers={**NAVIGATE, **(headers or {})})
    assert response.status == 200, (path, response.status)
    return response.body


def test_split_url_serves_another_path_only_for_page_navigations(edge: Edge, origin: PageOrigin) -> None:
    split = flag("shop", {"a": {}, "b": {"serve_path": "/shop-b"}}, paths="^/shop(?:/.*)?$")
    publish(edge, [split])
    origin.forget()
    assert visit(edge, "/shop") == FUNCTIONS  # the page itself: served from /shop-b
    visitor = Client(edge)
    image = visitor.get("/shop/logo.png", headers={"accept": "image/avif,image/webp,*/*", "sec-fetch-dest": "image"})
    assert (image.body, image.header("content-type")) == (PNG, "image/png")
    assert Client(edge).get("/shop/logo.png").body == PNG  # no Sec-Fetch-Dest, no Accept: the extension says
    script = visitor.get("/shop/app.js", headers={"accept": "*/*", "sec-fetch-dest": "script"})
    assert script.header("content-type").startswith("text/javascript")
    feed = visitor.get("/shop/feed", headers={"accept": "application/json", "sec-fetch-dest": "empty"})
    assert feed.body == b'{"items": []}'
    assert len(origin.requests_for("/shop-b")) == 1 and len(origin.requests_for("/shop/logo.png")) == 2
    # A variant path that is not a page: the visitor gets the page they asked for.
    publish(edge, [flag("shop", {"a": {}, "b": {"serve_path": "/shop/feed"}}, paths="^/shop(?:/.*)?$")])
    assert visit(edge, "/shop") == RE_PAGE
    assert edge.logged("swerve: the origin answered serve_path /shop/feed with 'application/json'")


def test_a_second_head_start_tag_keeps_the_page_whole(edge: Edge, origin: PageOrigin) -> None:
    boot = flag("boot", {"a": {"value": "on"}}, client=True)
    marked = flag("marked", {"a": {}, "b": {"ops": [["h1", "set_attribute", "data-swerve", "b"]]}})
    publish(edge, [boot, marked])
    page = origin.pages["/two-heads"][0]
    body = visit(edge, "/two-heads")
    assert body.endswith(tail(page))
    assert body.count(b'id="swerve-flags"') == 1 and body.count(b'<meta name="second-head"') == 1
    assert b'<h1 data-swerve="b">' in body


def test_names_html_cannot_hold_cost_only_their_own_operation(edge: Edge) -> None:
    ops = [
        ["h1", "set_attribute", "data x", "1"],
        ["h1", "set_attribute", "a=b", "1"],
        ["h1", "set_attribute", "", "1"],
        ["h1", "remove_attribute", "a/b"],
        ["h1", "add_class", "two words"],
        ["h1", "set_attribute", "data-ok", "yes"],
    ]
    version = publish(edge, [flag("names", {"a": {}, "b": {"ops": ops}})])
    body = visit(edge, "/doc")
    assert body.endswith(tail(FUNCTIONS))
    assert b'<h1 data-ok="yes">' in body
    assert edge.logged("skipped operation 0 of names=b (attribute-name)")
    logs = edge.logs()
    assert f"swerve: version {version}: flags.names.variants.b.ops[0] dropped: attribute name 'data x'" in logs
    assert "flags.names.variants.b.ops[4] dropped: class name 'two words' holds whitespace" in logs
    assert "skipped operation 0 of names=b (attribute-name)" in logs


def test_a_start_tag_over_the_rewriter_buffer_never_cuts_the_page(edge: Edge, origin: PageOrigin) -> None:
    publish(edge, [flag("huge", {"a": {}, "b": {"ops": [["#huge", "set_attribute", "data-seen", "1"]]}})])
    page = origin.pages["/huge-tag"][0]
    response = Client(edge).get("/huge-tag", headers=NAVIGATE)
    assert response.status == 200 and response.body == page  # served whole, unrewritten
    assert response.header("cache-control").startswith("private") and response.all("set-cookie")
    assert edge.logged("swerve: a page over 3 MiB is served unrewritten")


def test_conditional_requests_never_pin_an_old_variant(edge: Edge, origin: PageOrigin) -> None:
    publish(edge, [flag("plain", {"a": {}})])  # decides, rewrites nothing
    visitor = Client(edge)
    first = visitor.get("/doc", headers=NAVIGATE)
    for name in ("etag", "last-modified", "cdn-cache-control", "surrogate-control"):
        assert first.header(name) is None, name
    assert first.header("cache-control") == "private, max-age=600"
    # Validators the browser kept from before (a page cached when Swerve passed it through):
    publish(edge, [flag("hero", {"a": {}, "b": {"ops": [["h1", "set_text", "Variant B"]]}})])
    origin.forget()
    again = visitor.get("/doc", headers={**NAVIGATE, "if-none-match": ETAG, "if-modified-since": LAST_MODIFIED})
    assert again.status == 200 and b"<h1>Variant B" in again.body and again.body.endswith(tail(FUNCTIONS))
    (seen,) = origin.requests_for("/doc")
    assert "if-none-match" not in seen and "if-modified-since" not in seen
    head = visitor.request("HEAD", "/doc", headers=NAVIGATE)
    assert head.status == 200 and head.header("cache-control") == "private, max-age=600"
    assert head.header("etag") is None and head.header("cdn-cache-control") is None and "Cookie" in head.header("vary")
    # An asset keeps its validators and gets the origin's 304.
    asset = visitor.get("/shop/logo.png", headers={"if-none-match": '"asset"', "sec-fetch-dest": "image"})
    assert asset.header("etag") == '"asset"'


def test_latin1_pages_get_the_same_characters(edge: Edge, origin: PageOrigin) -> None:
    ops = [
        ["h1", "set_text", "Überschrift ✓ <ok>"],
        ["h1", "after", "<p id='after'>Grüße ✓</p><script>window.greeting = 'Grüße ✓';</script>"],
        ["h1", "set_attribute", "title", "Grüße"],
        ["#umlaut", "add_class", "neu"],
    ]
    publish(edge, [flag("text", {"a": {}, "b": {"ops": ops}}), flag("boot", {"a": {"value": "✓ Ü"}}, client=True)])
    for path in ("/latin1-meta", "/latin1-header"):
        page = origin.pages[path][0]
        body = visit(edge, path)
        assert body.endswith(tail(page)), path
        assert b"&#220;berschrift &#10003; &lt;ok&gt;</h1>" in body, path
        assert b"<p id='after'>Gr&#252;&#223;e &#10003;</p>" in body and b"'Gr\\u00fc\\u00dfe \\u2713'" in body
        assert b'title="Gr&#252;&#223;e"' in body and b"\xc3" not in body  # no UTF-8 bytes inserted
        assert json.loads(BOOTSTRAP.search(body).group(1)) == {"boot": "✓ Ü"}
        assert BOOTSTRAP.search(body).group(1).isascii()
    # With the charset only in <meta>, the rewriter reads the page as UTF-8: the class it
    # cannot decode is left alone (skipped), not corrupted.
    assert b'<p id="umlaut" class="gr\xfcn">' in visit(edge, "/latin1-meta")
    assert b'<p id="umlaut" class="gr&#252;n neu">' in visit(edge, "/latin1-header")
    assert edge.logged("skipped operation 3 of text=b (undecodable-class)")
    # A page declared UTF-8 gets the content as written.
    assert ">Überschrift ✓ &lt;ok&gt;</h1>".encode() in visit(edge, "/doc")


def test_one_selector_the_runtime_refuses_costs_only_its_operation(edge: Edge) -> None:
    ops = [["#123", "remove"], ["ns|h1", "remove"], ["[ns|href]", "remove"], ["h1", "set_attribute", "data-ok", "1"]]
    version = publish(edge, [flag("sel", {"a": {}, "b": {"ops": ops}}), flag("boot", {"a": {"value": 1}}, client=True)])
    body = visit(edge, "/doc")
    assert body.endswith(tail(FUNCTIONS)) and b'<h1 data-ok="1">' in body and BOOTSTRAP.search(body)
    assert edge.logged("skipped operation 0 of sel=b (selector)")
    logs = edge.logs()
    for index in range(3):
        assert f"swerve: version {version}: flags.sel.variants.b.ops[{index}] dropped: selector" in logs
    assert "skipped operation 0 of sel=b (selector)" in logs


def test_actions_and_formats_this_worker_does_not_know(edge: Edge) -> None:
    ops = [["h1", "explode", "x"], ["h1", "set_attribute", "data-ok", "1"]]
    publish(edge, [flag("act", {"a": {}, "b": {"ops": ops}})])
    body = visit(edge, "/doc")
    assert body.endswith(tail(FUNCTIONS)) and b'<h1 data-ok="1">' in body
    assert edge.logged("action 'explode' is unknown to this Worker: deploy the current worker/")
    newer = document([flag("act", {"a": {}, "b": {"ops": [["h1", "set_attribute", "data-newer", "1"]]}})])
    newer["format"] = FORMAT + 1
    newer["hash"] = content_hash(newer)
    version = next(_versions)
    edge.publish(newer, version)
    body = visit(edge, "/doc")
    assert b'<h1 data-ok="1">' in body and b"data-newer" not in body  # the last good version serves
    assert edge.logged(f"swerve: newer-format: version {version}: ruleset format {FORMAT + 1} needs a newer Worker")


def test_catastrophic_patterns_never_run_on_visitor_input(edge: Edge) -> None:
    events = [{"name": "hostile", "path": "^/(a+)+$"}]
    rule = {"when": {"request.path": {"$regex": "^/(a|aa)+$"}}, "variant": "b"}
    marked = flag("rx", {"a": {}, "b": {"ops": [["h1", "set_attribute", "data-rx", "1"]]}}, rules=[rule])
    version = publish(edge, [marked], events=events)
    hostile = "/" + "a" * 40 + "!"  # 2^40 steps for a backtracking matcher: it would never answer
    response = Client(edge).get(hostile, headers=NAVIGATE)
    assert response.status == 404  # the origin's answer, in time
    assert edge.logged("flags.rx: regular expression '^/(a|aa)+$' is refused")
    logs = edge.logs()
    assert f"swerve: version {version}: events.hostile.path: regular expression '^/(a+)+$' is refused" in logs
    assert "flags.rx: regular expression '^/(a|aa)+$' is refused" in logs


def test_deeply_nested_visitor_json_is_refused_not_raised(edge: Edge) -> None:
    publish(edge, [flag("attrs", {"a": {}, "b": {"ops": [["h1", "set_attribute", "data-b", "1"]]}})])
    visitor = Client(edge)
    visitor.cookies["app_attrs"] = "[" * 1500
    response = visitor.get("/doc", headers=NAVIGATE)
    assert response.status == 200 and b'<h1 data-b="1">' in response.body and response.all("set-cookie")
    posted = visitor.request("POST", "/__swerve/event", body=b"[" * 1000)
    assert (posted.status, posted.text) == (400, "body is not JSON")
    assert MAX_JSON_BRACKETS < 1000


# Random operations over random selectors on a real page: whatever they are, the visitor
# gets the complete rewritten page or the origin's page, never a cut one.
SELECTORS = [
    "h1", "p", "a.reference", "dl.function > dt", "div.section", "code", "span.pre", "#built-in-functions",
    "dt:first-child", "li:nth-child(2n+1)", "em:not(.x)", "[href^='#']", "table", "pre", "div", "*",
    "#123", "ns|h1", "[ns|href]", "a + b", "p:last-child", "h1[[[", "", "div >", "::before", ".1x",
]  # fmt: skip
ATTRIBUTE_NAMES = ["data-x", "title", "class", "data x", "a=b", "", "x/y", "aria-label"]
ACTIONS = [*operation_actions, "explode"]
CONTENT = ["<b>bold</b>", "plain", "✓ ünïcode", "<script>var s = 'é';</script>", "<unclosed", "&amp;", ""]


@st.composite
def operations(draw: st.DrawFn) -> list:
    selector = draw(st.sampled_from(SELECTORS))
    action = draw(st.sampled_from(ACTIONS))
    if action == "set_attribute":
        return [selector, action, draw(st.sampled_from(ATTRIBUTE_NAMES)), draw(st.sampled_from(CONTENT))]
    if action == "remove_attribute":
        return [selector, action, draw(st.sampled_from(ATTRIBUTE_NAMES))]
    if action in ("add_class", "remove_class"):
        return [selector, action, draw(st.sampled_from(["b", "two words", "", "ü"]))]
    if action == "remove":
        return [selector, action]
    return [selector, action, draw(st.sampled_from(CONTENT))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operations(), min_size=1, max_size=6), st.sampled_from(["/doc", "/re", "/latin1-header"]))
def test_random_operations_never_truncate_a_real_page(edge: Edge, origin: PageOrigin, ops: list, path: str) -> None:
    # Inside <body>, so that a complete page always keeps its last lines.
    body_ops = [[f"body {op[0]}" if op[0] else "", *op[1:]] for op in ops]
    publish(edge, [flag("random", {"a": {}, "b": {"ops": body_ops}}), flag("boot", {"a": {"value": 1}}, client=True)])
    page = origin.pages[path][0]
    body = visit(edge, path)
    if body == page:
        return  # the origin's page, as it came
    # A rewrite: whatever was inserted, removed or replaced inside <body>, the page's end is there.
    assert body.endswith(b"\n  </body>\n</html>"), body[-300:]
    assert BOOTSTRAP.search(body[: body.index(b"</head>")])
