"""Preview links in workerd (pinned Miniflare) with real local KV and D1, in front of a real origin.

A signed link sets the preview cookie; the forced variants are in the served HTML (and the
flags that depend on them follow), a badge says so, nothing is counted in D1 and the
visitor's summary keeps its exposures. Unsigned, expired, tampered and garbled previews are
ignored: the page is served as for anyone else, never a 500.
"""

import http.server
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from conftest import FIXTURES
from edge_support import Client, Edge, OriginHandler, Response
from outcome_support import quiet, settle
from test_edge import DEBUG, bootstrap, summary_of, variables

from swerve.build import compiled_from_sources
from swerve_edge import preview

PREVIEW_KEY = "edge-preview-key-2,edge-preview-key-1"
BADGE = '<aside id="swerve-preview"'
LATIN_PAGE = (
    '<!doctype html><html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head>'
    '<body><h1 class="hero-title">Caf\u00e9 cr\u00e8me</h1><footer>Stra\u00dfe</footer></body></html>'
).encode("cp1252")


class _Handler(OriginHandler):
    """The shared fixture site, plus a page declared windows-1252 in its header."""

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == "/latin":
            self.send_body(200, LATIN_PAGE, "text/html; charset=windows-1252")
            return
        super().do_GET()


class PreviewOrigin:
    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def token(forced: dict[str, str], ttl: int = 3600, key: str = "edge-preview-key-1") -> str:
    return preview.encode(forced, int(time.time()) + ttl, [key.encode()])


def link(value: str, to: str = "/") -> str:
    return f"/__swerve/preview?t={value}&to={urllib.parse.quote(to, safe='/')}"


def debug_get(visitor: Client, path: str) -> Response:
    return visitor.get(path, headers={"swerve-debug": DEBUG})


@pytest.fixture(scope="module")
def origin():
    server = PreviewOrigin()
    yield server
    server.close()


@pytest.fixture(scope="module")
def edge(origin: PreviewOrigin, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("preview")
    extra = {"SWERVE_STATS_FLUSH_SECONDS": "0", "SWERVE_PREVIEW_KEY": PREVIEW_KEY}
    worker = Edge(tmp / "kv", variables(origin, **extra), d1="swerve-stats", d1_persist=tmp / "d1")
    worker.migrate()
    worker.publish(compiled_from_sources([str(FIXTURES / "preview_rules")]), 1)
    yield worker
    logs = worker.close()
    assert "edge-preview-key" not in logs and "p1." not in logs  # neither the secret nor a token is logged


def test_the_link_forces_the_variant_in_the_served_html_until_it_is_cleared(edge: Edge) -> None:
    visitor = Client(edge)
    before = visitor.get("/")
    assert "Build faster" in before.text and BADGE not in before.text
    answer = visitor.get(link(token({"headline": "bold"}), to="/?from=link"))
    assert (answer.status, answer.header("location"), answer.header("swerve-preview")) == (302, "/?from=link", "set")
    assert answer.header("cache-control") == "no-store" and answer.header("referrer-policy") == "no-referrer"
    set_cookie = answer.header("set-cookie")
    assert set_cookie.startswith("swerve_preview=p1.") and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert 3590 <= int(set_cookie.split("Max-Age=")[1].split(";")[0]) <= 3600
    assert "Secure" not in set_cookie  # 127.0.0.1: local development

    page = debug_get(visitor, "/")
    assert page.status == 200
    assert '<h1 class="hero-title">Bold headline</h1>' in page.text and "Build faster" not in page.text
    assert bootstrap(page)["headline"] == "bold"
    assert page.text.index(BADGE) > page.text.index("<body>")
    assert "Swerve preview: headline=bold &middot; " in page.text
    assert '<a href="/__swerve/preview?clear=1&amp;to=/"' in page.text
    decisions = page.header("swerve-decisions")
    assert decisions.startswith("preview=on; until ") and "headline=bold; preview" in decisions

    cleared = visitor.get("/__swerve/preview?clear=1&to=/pricing")
    assert (cleared.status, cleared.header("location"), cleared.header("swerve-preview")) == (
        302,
        "/pricing",
        "cleared",
    )
    assert cleared.header("set-cookie").startswith("swerve_preview=; Path=/; Max-Age=0;")
    after = visitor.get("/")
    assert "Build faster" in after.text and BADGE not in after.text


def test_a_dependent_flag_sees_the_forced_variant_and_a_kill_switch_yields(edge: Edge) -> None:
    visitor = Client(edge)
    plain = debug_get(visitor, "/pricing")
    assert "classic pricing table" in plain.text and "layout=classic; prerequisite" in plain.header("swerve-decisions")
    visitor.get(link(token({"headline": "bold", "chat": "shown"})))
    page = debug_get(visitor, "/pricing")
    assert "cards pricing table" in page.text
    decisions = page.header("swerve-decisions")
    assert "layout=cards; rule 1" in decisions and "chat=shown; preview" in decisions
    assert '<p id="chat">Chat with us</p><footer>' in visitor.get("/").text  # killed, yet previewed


def test_unsigned_expired_tampered_or_garbled_previews_are_ignored(edge: Edge) -> None:
    good = token({"headline": "bold"})
    tampered_payload = token({"headline": "bold", "layout": "cards"}).split(".")[1]
    refused = {
        token({"headline": "bold"}, key="someone-else"): "bad signature",
        preview.encode({"headline": "bold"}, int(time.time()) - 5, [b"edge-preview-key-1"]): "expired",
        f"p1.{tampered_payload}.{good.split('.')[2]}": "bad signature",
        good[:-3] + "abc": "bad signature",
        "p1.e30": "malformed",
        "not-a-token": "malformed",
        "p1." + "A" * 5000 + ".x": "malformed",
    }
    for value, why in refused.items():
        visitor = Client(edge)
        answer = visitor.get(link(value))
        assert (answer.status, answer.header("swerve-preview"), answer.all("set-cookie")) == (
            302,
            f"ignored: {why}",
            [],
        )
        visitor.cookies[preview.PREVIEW_COOKIE] = value
        page = debug_get(visitor, "/")
        assert page.status == 200 and "Build faster" in page.text and BADGE not in page.text, why
        assert page.header("swerve-decisions").startswith(f"preview=off; cookie ignored: {why}, ")
    garbled = Client(edge).get("/__swerve/preview?t=%FF%FE%00&to=%0d%0aSet-Cookie:%20x=1")
    assert (garbled.status, garbled.header("location"), garbled.all("set-cookie")) == (302, "/", [])
    elsewhere = Client(edge).get(link(good, to="//evil.example/"))
    assert elsewhere.header("location") == "/"


def test_a_previewing_visitor_records_nothing(edge: Edge) -> None:
    previewer = Client(edge)
    previewer.get("/")  # an ordinary first visit: exposed to headline and note, counted
    exposures = summary_of(previewer).exposures
    assert set(exposures) == {"headline", "note"}
    before = quiet(edge)

    previewer.get(link(token({"headline": "bold"})))
    for path in ("/", "/pricing", "/signup/done", "/fail"):
        assert previewer.get(path).status in (200, 500)
    assert previewer.request("POST", "/__swerve/event", b'{"event": "cta_click"}').status == 204
    assert summary_of(previewer).exposures == exposures and summary_of(previewer).converted == {}

    # An ordinary visitor now: their counts arrive (so recording works), the previewer's never do.
    other = Client(edge)
    other.get("/")
    note = summary_of(other).exposures["note"]
    want = {
        ("headline", "control", "exposure"): 1,
        ("headline", "control", "request"): 1,
        ("note", note, "exposure"): 1,
        ("note", note, "request"): 1,
    }
    if note == "warm":
        want[("note", "warm", "page")] = 1
    settle(edge, {k: before.get(k, 0) + v for k, v in want.items()})
    after = quiet(edge)
    added = {k: after.get(k, 0) - before.get(k, 0) for k in after.keys() | before.keys()}
    assert {k: n for k, n in added.items() if n} == want

    previewer.get("/__swerve/preview?clear=1")
    previewer.get("/")  # after the preview: the variants they had, sticky as ever
    assert summary_of(previewer).exposures == exposures


def test_the_badge_is_ascii_on_a_windows_1252_page(edge: Edge) -> None:
    visitor = Client(edge)
    visitor.get(link(token({"headline": "bold"})))
    body = visitor.get("/latin").body
    assert '<h1 class="hero-title">Caf\u00e9 cr\u00e8me</h1>'.encode("cp1252") in body
    badge = body[body.index(BADGE.encode()) : body.index(b"</aside>")]
    assert badge.isascii() and b"Swerve preview: headline=bold &middot; " in badge


def test_the_badge_can_be_switched_off(origin: PreviewOrigin, tmp_path: Path) -> None:
    worker = Edge(tmp_path / "kv", variables(origin, SWERVE_PREVIEW_KEY=PREVIEW_KEY, SWERVE_PREVIEW_BADGE="off"))
    worker.publish(compiled_from_sources([str(FIXTURES / "preview_rules")]), 1)
    try:
        visitor = Client(worker)
        visitor.get(link(token({"headline": "bold"})))
        page = visitor.get("/")
        assert "Bold headline" in page.text and BADGE not in page.text
    finally:
        worker.close()
