"""The Worker in workerd (pinned Miniflare), real local KV, in front of a real local origin."""

import http.client
import json
import re
import time
from pathlib import Path

import pytest
from conftest import FIXTURES
from edge_support import Client, Edge, Origin, Response

from swerve.build import compiled_from_sources
from swerve_edge import cookie
from swerve_edge.digest import content_hash

KEYS = "edge-test-key-1,edge-test-key-0"
DEBUG = "debug-token-for-tests"


def compile_edge_rules() -> dict:
    return compiled_from_sources([str(FIXTURES / "edge_rules")])


def rehash(document: dict) -> dict:
    document["hash"] = content_hash(document)
    return document


def variables(origin: Origin, **extra: str) -> dict[str, str]:
    return {
        "ORIGIN_URL": origin.url,
        "SWERVE_COOKIE_KEYS": KEYS,
        "SWERVE_DEBUG_TOKEN": DEBUG,
        "SWERVE_SESSION_IDLE_SECONDS": "1",
        "SWERVE_POINTER_TTL_SECONDS": "0",
        "SWERVE_USER_ID_COOKIE": "app_user",
        **extra,
    }


def origin_get(origin: Origin, path: str, headers: dict[str, str] | None = None) -> Response:
    host, port = origin.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path, headers=headers or {})
    raw = conn.getresponse()
    response = Response(raw.status, [(k.lower(), v) for k, v in raw.getheaders()], raw.read())
    conn.close()
    return response


def bootstrap(response: Response) -> dict:
    match = re.search(r'<script type="application/json" id="swerve-flags">(.*?)</script>', response.text)
    assert match, response.text[:500]
    return json.loads(match.group(1))


def summary_of(client: Client) -> cookie.Summary:
    summary = cookie.decode(client.cookies["swerve_s"], cookie.parse_keys(KEYS))
    assert summary is not None
    return summary


@pytest.fixture(scope="module")
def origin():
    server = Origin()
    yield server
    server.close()


@pytest.fixture(scope="module")
def edge(origin: Origin, tmp_path_factory: pytest.TempPathFactory):
    worker = Edge(tmp_path_factory.mktemp("kv"), variables(origin))
    worker.publish(compile_edge_rules(), 1)
    yield worker
    worker.close()


def test_first_visit_applies_every_operation(edge: Edge) -> None:
    response = Client(edge).get("/")
    assert response.status == 200
    body = response.text
    assert '<h1 class="hero-title">New &lt;headline&gt;</h1>' in body
    assert '<p id="subtitle"><em>Now</em> with edge</p>' in body
    assert '<a id="upgrade-cta" href="/trial">' in body and "data-old" not in body
    assert '<section class="hero hero--b">' in body
    assert '<ul id="features"><li>Zero</li><li>One</li><li>Two</li><li>Three</li></ul>' in body
    assert '<aside id="before-footer">before</aside><footer>' in body
    assert '</header><div id="after-header">after</div>' in body
    assert '<div id="replaced">replaced</div>' in body and "legacy block" not in body
    assert "chat widget" not in body


def test_cookies_and_cache_headers(edge: Edge) -> None:
    client = Client(edge)
    response = client.get("/")
    cookies = response.all("set-cookie")
    assert len(cookies) == 2
    for value in cookies:
        assert "HttpOnly" in value and "SameSite=Lax" in value and "Path=/" in value and "Max-Age=15552000" in value
        assert "Secure" not in value  # 127.0.0.1 is local development
    assert response.header("cache-control") == "private, max-age=60"
    assert response.header("etag") is None and response.header("content-length") is None
    assert "Cookie" in response.header("vary")
    assert summary_of(client).pageviews == 1


def test_bootstrap_is_escaped_and_parses_back(edge: Edge) -> None:
    response = Client(edge).get("/")
    head = response.text.split("</head>", 1)[0]
    assert head.count("</script>") == 1
    values = bootstrap(response)
    assert values["payload"] == {
        "html": "</script><script>alert(1)</script>",
        "separators": "\u2028\u2029",
        "amp": "a&b",
    }
    assert values["crawler"] == "human" and values["clicked"] is False


def test_realistic_30kb_page_streams_through_the_rewriter(edge: Edge, origin: Origin) -> None:
    original = origin_get(origin, "/big").text
    response = Client(edge).get("/big")
    assert len(original) > 28_000
    assert response.status == 200
    assert '<h1 class="hero-title">New &lt;headline&gt;</h1>' in response.text
    cards = re.findall(r'<article class="card" id="card-\d+">.*?</article>', original, re.S)
    assert cards and all(card in response.text for card in cards)
    assert response.text.rstrip().endswith("</html>")


def test_sessions_and_page_views_across_requests(edge: Edge) -> None:
    client = Client(edge)
    assert "welcome-back" not in client.get("/").text
    assert "welcome-back" not in client.get("/").text
    first = summary_of(client)
    assert (first.sessions, first.pageviews, first.session_pageviews) == (1, 2, 2)
    time.sleep(2.2)
    response = client.get("/")
    assert '<div id="welcome-back">Welcome back</div>' in response.text
    later = summary_of(client)
    assert (later.sessions, later.pageviews, later.session_pageviews) == (2, 3, 1)
    # A subresource (here a script fetched from a page path) is no page view and sets no cookie.
    script = client.get("/", headers={"sec-fetch-dest": "script"})
    assert script.status == 200 and not script.all("set-cookie")
    assert summary_of(client).pageviews == 3


def test_events_from_path_and_query(edge: Edge) -> None:
    client = Client(edge)
    client.get("/pricing")
    client.get("/pricing?utm_source=newsletter")
    client.get("/?utm_source=other")
    assert summary_of(client).events == {"pricing_view": 2, "newsletter": 1}


def test_client_events(edge: Edge) -> None:
    client = Client(edge)
    client.get("/")
    posted = client.request(
        "POST", "/__swerve/event", body=b'{"event": "cta_click"}', headers={"content-type": "application/json"}
    )
    assert posted.status == 204 and len(posted.all("set-cookie")) == 2
    assert summary_of(client).events == {"cta_click": 1}
    assert bootstrap(client.get("/"))["clicked"] is True
    for body, status, reason in (
        (b"not json", 400, "body is not JSON"),
        (b'{"name": "cta_click"}', 400, "expected"),
        (b'{"event": "pricing_view"}', 422, "not declared for clients"),
        (b'{"event": "nope"}', 422, "not declared for clients"),
        (b'{"event": "' + b"x" * 2000 + b'"}', 413, "too large"),
    ):
        answer = client.request("POST", "/__swerve/event", body=body)
        assert (answer.status, reason in answer.text) == (status, True), (body[:30], answer.status, answer.text)
        assert not answer.all("set-cookie")


def test_split_url_serves_another_origin_path_without_redirect(edge: Edge, origin: Origin) -> None:
    seen = {}
    for _ in range(40):
        response = Client(edge).get("/pricing")
        assert response.status == 200
        seen["cards" if "pricing cards" in response.text else "classic"] = response
        if len(seen) == 2:
            break
    assert set(seen) == {"cards", "classic"}
    assert "/pricing-cards" in origin.server.RequestHandlerClass.hits


def test_bots_get_defaults_unless_targeted_and_no_cookies(edge: Edge) -> None:
    bot = Client(edge, user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    response = bot.get("/")
    assert response.status == 200
    assert bootstrap(response)["crawler"] == "bot"
    assert '<h1 class="hero-title">Build faster</h1>' in response.text  # every-op does not target bots
    assert not response.all("set-cookie")


def test_context_from_cf_local_time_language_and_device(edge: Edge) -> None:
    phone = Client(edge, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1")
    assert bootstrap(phone.get("/", headers={"accept-language": "de-DE,de;q=0.9"}))["located"] == "located"
    assert bootstrap(Client(edge).get("/", headers={"accept-language": "de-DE"}))["located"] == "unknown"


def test_debug_header_needs_the_token(edge: Edge) -> None:
    assert Client(edge).get("/", headers={"swerve-debug": "wrong"}).header("swerve-decisions") is None
    assert Client(edge).get("/").header("swerve-decisions") is None
    header = Client(edge).get("/", headers={"swerve-debug": DEBUG}).header("swerve-decisions")
    assert "every-op=all; rule 1" in header and "crawler=human; rule 2" in header and "visitor=bot" not in header
    curl = Client(edge, user_agent="curl/8.5.0").get("/", headers={"swerve-debug": DEBUG}).header("swerve-decisions")
    assert curl.startswith("visitor=bot; the User-Agent is a bot's") and "every-op=plain; default" in curl


def test_everything_else_passes_through_byte_for_byte(edge: Edge, origin: Origin) -> None:
    client = Client(edge)
    image = client.get("/logo.png")
    assert image.body == origin_get(origin, "/logo.png").body and not image.all("set-cookie")
    head = client.request("HEAD", "/")
    assert head.status == 200 and head.body == b"" and not head.all("set-cookie")
    redirect = client.get("/redirect")
    assert redirect.status == 302 and redirect.header("location") == "/elsewhere"
    # A page Swerve personalizes is never revalidated against the origin's validators (test_conditional_*).
    revalidated = client.get("/cached", headers={"if-none-match": '"v1"'})
    assert revalidated.status == 200 and revalidated.header("etag") is None
    partial = client.get("/range", headers={"range": "bytes=0-99"})
    assert partial.status == 206 and partial.body == origin_get(origin, "/range", {"range": "bytes=0-99"}).body
    missing = client.get("/nowhere")
    assert (missing.status, missing.body) == (404, b"not found")
    cached = client.get("/cached")
    assert cached.header("cache-control") == "private, max-age=60" and cached.header("etag") is None


def test_the_visitors_request_reaches_the_origin_as_it_came(edge: Edge) -> None:
    client = Client(edge)
    client.cookies["app_user"] = "u-42"
    echoed = client.request("POST", "/echo?x=1", body=b"payload=1", headers={"x-custom": "yes"})
    seen = json.loads(echoed.body)
    assert seen["method"] == "POST" and seen["path"] == "/echo?x=1" and seen["body"] == "payload=1"
    assert seen["headers"]["x-custom"] == "yes" and "app_user=u-42" in seen["headers"]["cookie"]


def test_tampered_or_oversized_cookie_is_replaced(edge: Edge) -> None:
    client = Client(edge)
    client.get("/")
    client.get("/")
    good = client.cookies["swerve_s"]
    for bad in (good[:-3] + "abc", "garbage", "s1." + "A" * 3000 + ".x", good.replace("s1.", "s0.")):
        client.cookies["swerve_s"] = bad
        response = client.get("/")
        assert response.status == 200
        assert summary_of(client).pageviews == 1


def test_rulesets_refresh_and_failures_keep_the_last_good(origin: Origin, tmp_path: Path) -> None:
    worker = Edge(tmp_path / "kv", variables(origin))
    try:
        document = compile_edge_rules()
        worker.publish(document, 1)
        client = Client(worker)
        assert "New &lt;headline&gt;" in client.get("/").text
        changed = json.loads(json.dumps(document))
        every_op = next(f for f in changed["flags"] if f["key"] == "every-op")
        every_op["variants"][1]["ops"][0][2] = "Version two"
        worker.publish(rehash(changed), 2)
        assert "Version two" in client.get("/").text
        worker.put("current", json.dumps({"version": 3, "hash": "sha256:missing"}))
        for _ in range(3):
            assert "Version two" in client.get("/").text
        worker.put("rulesets/4", '{"format": 2, "hash": "sha256:x", "flags": [')
        worker.put("current", json.dumps({"version": 4, "hash": "sha256:x"}))
        assert "Version two" in client.get("/").text
    finally:
        logs = worker.close()
    assert logs.count("swerve: missing-version") == 1 and logs.count("swerve: corrupt-ruleset") == 1


def test_sticky_rollout_survives_a_reshuffle(origin: Origin, tmp_path: Path) -> None:
    worker = Edge(tmp_path / "kv", variables(origin))
    try:
        document = compile_edge_rules()
        worker.publish(document, 1)
        clients = [Client(worker) for _ in range(12)]
        before = {id(c): bootstrap(c.get("/"))["sticky"] for c in clients}
        reshuffled = json.loads(json.dumps(document))
        next(f for f in reshuffled["flags"] if f["key"] == "sticky")["seed"] = "sticky-reshuffled"
        worker.publish(rehash(reshuffled), 2)
        flipped = 0
        for client in clients:
            assert bootstrap(client.get("/"))["sticky"] == before[id(client)]
            newcomer = Client(worker)
            newcomer.cookies["swerve_id"] = client.cookies["swerve_id"]
            flipped += bootstrap(newcomer.get("/"))["sticky"] != before[id(client)]
        assert flipped > 0  # without the summary cookie the new seed does reshuffle
    finally:
        worker.close()


def test_missing_cookie_keys_are_named_once_and_pages_still_serve(origin: Origin, tmp_path: Path) -> None:
    settings = variables(origin)
    del settings["SWERVE_COOKIE_KEYS"]
    worker = Edge(tmp_path / "kv", settings)
    try:
        worker.publish(compile_edge_rules(), 1)
        for _ in range(3):
            response = Client(worker).get("/")
            assert "New &lt;headline&gt;" in response.text
            assert [c.split("=", 1)[0] for c in response.all("set-cookie")] == ["swerve_id"]
    finally:
        logs = worker.close()
    assert logs.count("SWERVE_COOKIE_KEYS is not set") == 1 and "wrangler secret put" in logs


def test_consent_cookie_gates_every_cookie(origin: Origin, tmp_path: Path) -> None:
    worker = Edge(tmp_path / "kv", variables(origin, SWERVE_CONSENT_COOKIE="cookie_consent"))
    try:
        worker.publish(compile_edge_rules(), 1)
        client = Client(worker)
        response = client.get("/")
        assert response.status == 200 and "New &lt;headline&gt;" in response.text and not response.all("set-cookie")
        client.cookies["cookie_consent"] = "yes"
        assert len(client.get("/").all("set-cookie")) == 2
    finally:
        worker.close()


def test_fail_open_serves_the_origin_unchanged(origin: Origin, tmp_path: Path) -> None:
    worker = Edge(tmp_path / "kv", variables(origin))
    original = origin_get(origin, "/").body

    def assert_origin_page() -> None:
        response = Client(worker).get("/")
        assert (response.status, response.body) == (200, original)
        assert not response.all("set-cookie")

    try:
        assert_origin_page()  # no ruleset at all
        worker.put("current", json.dumps({"version": 9, "hash": "sha256:none"}))
        assert_origin_page()  # pointer to a missing version
        worker.put("rulesets/9", json.dumps({"format": 2, "hash": "sha256:none", "flags": []}))
        assert_origin_page()  # corrupt ruleset (hash does not match)
        broken = compile_edge_rules()
        broken["flags"][0]["default"] = "no-such-variant"
        broken["flags"][0]["rules"] = [{"variant": "also-missing"}]
        worker.publish(rehash(broken), 10)
        assert_origin_page()  # evaluator error
    finally:
        worker.close()
