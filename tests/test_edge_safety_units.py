"""Pure parts of the edge's reliability under CPython (workerd runs them in test_reliability_edge)."""

import asyncio
import json

from swerve_edge.charset import ascii_attribute, ascii_html, ascii_text, header_is_utf8
from swerve_edge.config import load_config
from swerve_edge.http import (
    MAX_REWRITE_BYTES,
    bootstrap_script,
    conditional_headers,
    is_page_navigation,
    personalized,
    too_large_to_rewrite,
)
from swerve_edge.loader import RulesetCache
from swerve_edge.plan import Facts, plan_client_event, plan_request
from swerve_edge.ruleset import FORMAT, load_ruleset
from swerve_edge.skips import Skips

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def test_skips_count_per_operation_and_log_once_per_kind() -> None:
    logged: list[str] = []
    skips = Skips(logged.append, max_keys=2)
    skips.add("f", "b", 0, "selector", "bad")
    skips.add("f", "b", 0, "selector", "bad")
    skips.add("f", "b", 1, "selector", "bad")
    skips.add("g", "a", 3, "unknown-action", "new")
    assert skips.counts == {("f", "b", 0): 2, ("f", "b", 1): 1} and skips.overflow == 1
    assert len(logged) == 2 and "skipped operation 0 of f=b (selector)" in logged[0]
    assert skips.take() == {("f", "b", 0): 2, ("f", "b", 1): 1} and skips.counts == {}


def test_ascii_forms_mean_the_same_in_any_charset() -> None:
    assert ascii_html("<p title='é'>ü ✓</p>") == "<p title='&#233;'>&#252; &#10003;</p>"
    assert ascii_html("<script>s = 'é😀';</script>x") == "<script>s = '\\u00e9\\ud83d\\ude00';</script>x"
    assert ascii_html("<STYLE>p:after { content: 'é' }</STYLE>") == "<STYLE>p:after { content: '\\0000e9' }</STYLE>"
    assert ascii_text("<é & ✓>") == "&lt;&#233; &amp; &#10003;&gt;"
    assert ascii_attribute("grüße") == "gr&#252;&#223;e"
    assert ascii_html("plain") == "plain"


def test_only_a_utf8_label_in_the_header_counts_as_utf8() -> None:
    assert header_is_utf8("text/html; charset=utf-8") and header_is_utf8('text/html;charset="UTF8"')
    assert not header_is_utf8("text/html") and not header_is_utf8("text/html; charset=iso-8859-1")


def test_a_page_navigation_is_what_browsers_say_it_is() -> None:
    navigate = {"sec-fetch-dest": "document", "accept": "text/html,*/*;q=0.8"}
    assert is_page_navigation("GET", "/shop", navigate)
    assert is_page_navigation("GET", "/shop", {})  # curl, crawlers: nothing said, not an asset path
    assert is_page_navigation("HEAD", "/shop/page.html", {"accept": "text/html"})
    assert not is_page_navigation("GET", "/shop/logo.png", navigate)
    assert not is_page_navigation("GET", "/shop/image", {"sec-fetch-dest": "image", "accept": "image/*"})
    assert not is_page_navigation("GET", "/shop/data", {"accept": "application/json"})
    assert not is_page_navigation("POST", "/shop", navigate)


def test_conditional_headers_are_dropped_only_for_pages() -> None:
    headers = {"sec-fetch-dest": "document", "if-none-match": '"x"', "if-modified-since": "then"}
    assert conditional_headers("GET", "/doc", headers) == ("if-none-match", "if-modified-since")
    assert conditional_headers("GET", "/logo.png", {"if-none-match": '"x"', "sec-fetch-dest": "image"}) == ()
    assert conditional_headers("GET", "/doc", {"sec-fetch-dest": "document"}) == ()


def test_which_answers_are_personalized_and_which_are_too_large() -> None:
    assert personalized("GET", 200, "text/html; charset=utf-8", "")
    assert personalized("HEAD", 200, "text/html", "")
    assert personalized("GET", 304, "", "text/html,*/*")
    assert not personalized("GET", 304, "", "*/*") and not personalized("GET", 200, "image/png", "text/html")
    assert not personalized("POST", 200, "text/html", "")
    assert too_large_to_rewrite(str(MAX_REWRITE_BYTES + 1), "")
    assert not too_large_to_rewrite(str(MAX_REWRITE_BYTES), "identity")
    assert not too_large_to_rewrite(str(MAX_REWRITE_BYTES + 1), "gzip") and not too_large_to_rewrite("", "")


def test_the_bootstrap_is_ascii_json() -> None:
    script = bootstrap_script({"f": "✓ </script> \u2028"})
    body = script.split(">", 1)[1].rsplit("<", 1)[0]
    assert body.isascii() and json.loads(body) == {"f": "✓ </script> \u2028"}


def _ruleset() -> object:
    return load_ruleset({"format": FORMAT, "flags": [], "segments": [], "events": []})


def test_deeply_nested_visitor_json_is_ignored() -> None:
    config = load_config(
        lambda name: {"SWERVE_USER_ATTRIBUTES_COOKIE": "attrs", "SWERVE_COOKIE_KEYS": "k"}.get(name, "")
    )
    headers = {"user-agent": BROWSER, "cookie": "attrs=" + "[" * 1500}
    facts = Facts("https://x.test/", "GET", headers, {}, None, None, 1_800_000_000)
    plan = plan_request(_ruleset(), config, facts, lambda: "a" * 32)
    assert plan.set_cookies  # the visitor keeps their cookies; the attributes are just absent
    event = plan_client_event(_ruleset(), config, facts, "[" * 1000, lambda: "a" * 32)
    assert (event.status, event.reason) == (400, "body is not JSON")


def test_the_loader_refuses_newer_formats_and_names_what_it_drops() -> None:
    from swerve_edge.digest import content_hash

    logged: list[str] = []
    cache = RulesetCache(0, logged.append)
    store: dict[str, str] = {}

    async def kv_get(key: str) -> str | None:
        return store.get(key)

    def put(version: int, document: dict) -> None:
        document["hash"] = content_hash(document)
        store[f"rulesets/{version}"] = json.dumps(document)
        store["current"] = json.dumps({"version": version, "hash": document["hash"]})

    flag = {"key": "f", "variants": [{"key": "a", "ops": [["h1", "explode"], ["#1", "remove"]]}], "default": "a"}
    put(1, {"format": FORMAT, "hash": "", "flags": [flag], "segments": [], "events": []})
    first = asyncio.run(cache.get(kv_get, 0))
    assert first is not None and [d.kind for d in first.flags[0].variants["a"].dropped] == [
        "unknown-action",
        "selector",
    ]
    assert logged[0].startswith("swerve: version 1: flags.f.variants.a.ops[0] dropped: action 'explode'")
    put(2, {"format": FORMAT + 1, "hash": "", "flags": [], "segments": [], "events": []})
    assert asyncio.run(cache.get(kv_get, 1)) is first
    assert f"swerve: newer-format: version 2: ruleset format {FORMAT + 1} needs a newer Worker" in logged[-1]
    store["rulesets/3"] = '{"format": 2, "hash": "x", "flags": [{"value": NaN}]}'
    store["current"] = json.dumps({"version": 3, "hash": "x"})
    assert asyncio.run(cache.get(kv_get, 2)) is first
    assert "NaN is not a JSON number" in logged[-1]
