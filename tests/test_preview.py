"""Preview tokens, links, the badge and what a preview does to a request's plan (plain Python).

The Worker carries these out in test_preview_edge.py, and a browser in test_preview_browser.py.
"""

import base64
import hashlib
import hmac
import html
import json

import pytest
from conftest import FIXTURES
from hypothesis import given
from hypothesis import strategies as st

from swerve.build import compiled_from_sources
from swerve_edge import cookie, preview
from swerve_edge.config import Config, load_config
from swerve_edge.decide import decide
from swerve_edge.http import SUMMARY_COOKIE
from swerve_edge.plan import Facts, Plan, plan_client_event, plan_request
from swerve_edge.ruleset import Ruleset, load_ruleset
from swerve_edge.summary import fresh

NOW = 1_800_000_000
NEW, OLD = b"preview-key-new", b"preview-key-old"
VARS = {
    "SWERVE_COOKIE_KEYS": "plan-test-key-0123456789",
    "SWERVE_DEBUG_TOKEN": "debug-token",
    "SWERVE_PREVIEW_KEY": "preview-key-new, preview-key-old",
}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset(compiled_from_sources([str(FIXTURES / "preview_rules")]))


def config(**extra: str) -> Config:
    values = {**VARS, **extra}
    return load_config(lambda name: values.get(name, ""))


def facts(url: str = "https://www.example.com/", now: int = NOW, **headers: str) -> Facts:
    headers = {"user-agent": BROWSER, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return Facts(url, "GET", headers, {}, 10, 3, now)


def new_id() -> str:
    return "visitor-0001"


def token(forced: dict[str, str] | None = None, ttl: int = 3600, key: bytes = NEW) -> str:
    return preview.encode(forced or {"headline": "bold"}, NOW + ttl, [key])


def resigned(payload: dict, key: bytes = NEW) -> str:
    """A token with any payload, signed properly: strict decoding must still refuse it."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    prefix = f"p1.{body}"
    signature = base64.urlsafe_b64encode(hmac.new(key, prefix.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{prefix}.{signature.decode()}"


def variants(plan: Plan) -> dict[str, str]:
    return dict(plan.rewrites)


# ---- the token ----


def test_a_token_round_trips_with_every_key_of_the_rotation() -> None:
    for key in (NEW, OLD):
        made = token({"headline": "bold", "chat": "shown"}, key=key)
        assert made.startswith("p1.") and made.isascii()
        assert preview.verify(made, [NEW, OLD], NOW) == (
            preview.Preview({"headline": "bold", "chat": "shown"}, NOW + 3600),
            "",
        )


def test_expired_and_too_long_lived_tokens_are_refused() -> None:
    made = token(ttl=60)
    assert preview.verify(made, [NEW], NOW + 59)[0] is not None
    assert preview.verify(made, [NEW], NOW + 60) == (None, "expired")
    far = token(ttl=preview.MAX_TTL + preview.CLOCK_SKEW + 1)
    assert preview.verify(far, [NEW], NOW) == (None, "expires too far ahead")


def test_tampered_unsigned_or_wrongly_keyed_tokens_are_refused() -> None:
    made = token()
    _, payload, signature = made.split(".")
    other = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other["f"]["layout"] = "cards"
    body = base64.urlsafe_b64encode(json.dumps(other).encode()).rstrip(b"=").decode()
    cases = {
        f"p1.{body}.{signature}": "bad signature",  # a changed payload under the old signature
        made[:-2] + ("AA" if not made.endswith("AA") else "BB"): "bad signature",
        f"p1.{payload}.": "bad signature",
        f"p1.{payload}": "malformed",
        f"p2.{payload}.{signature}": "malformed",
        f"p1.{payload}!.{signature}": "malformed",
        "": "malformed",
        "p1..": "malformed",
        "\u00e9" * 10: "malformed",
    }
    for value, why in cases.items():
        assert preview.verify(value, [NEW], NOW) == (None, why), value
    assert preview.verify(made, [b"someone-else"], NOW) == (None, "bad signature")
    assert preview.verify(made, [], NOW) == (None, "previews are off (the Worker has no SWERVE_PREVIEW_KEY)")


def test_signed_garbage_is_still_refused() -> None:
    later = NOW + 60
    for payload in [
        [],
        {"f": {"headline": "bold"}},
        {"f": {"headline": "bold"}, "e": later, "extra": 1},
        {"f": {}, "e": later},
        {"f": {"headline": 1}, "e": later},
        {"f": {"Headline": "bold"}, "e": later},
        {"f": {"headline": "bold"}, "e": "tomorrow"},
        {"f": {"headline": "bold"}, "e": True},
        {"f": {f"flag-{i}": "on" for i in range(preview.MAX_FORCED + 1)}, "e": later},
        {"f": [["headline", "bold"]], "e": later},
    ]:
        assert preview.verify(resigned(payload), [NEW], NOW) == (None, "malformed"), payload
    assert preview.verify(resigned({"f": {"headline": "bold"}, "e": later}), [NEW], NOW)[0] is not None
    assert preview.verify("p1." + "A" * preview.MAX_TOKEN + ".x", [NEW], NOW) == (None, "malformed")
    nested = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).rstrip(b"=").decode()
    assert preview.verify(f"p1.{nested}.x", [NEW], NOW)[0] is None


def test_encode_refuses_what_the_edge_would_not_accept() -> None:
    with pytest.raises(ValueError, match="flag and variant keys"):
        preview.encode({"Hero": "x"}, NOW, [NEW])
    with pytest.raises(ValueError, match="1 to 20 flags"):
        preview.encode({}, NOW, [NEW])
    with pytest.raises(ValueError, match="no preview key"):
        preview.encode({"a": "b"}, NOW, [])
    biggest = {f"{i:02d}-" + "f" * 61: "v" * 64 for i in range(preview.MAX_FORCED)}
    with pytest.raises(ValueError, match="at most 2048"):
        preview.encode(biggest, NOW, [NEW])


# ---- the link ----


def test_the_link_sets_the_cookie_for_the_remaining_time_and_goes_to_the_page() -> None:
    made = token(ttl=3600)
    answer = preview.answer_link(
        [NEW], f"https://shop.example/__swerve/preview?t={made}&to=%2Fpricing%3Fa%3D1", NOW + 600
    )
    assert answer.location == "/pricing?a=1" and answer.note == "set"
    assert answer.set_cookies == [f"swerve_preview={made}; Path=/; Max-Age=3000; HttpOnly; SameSite=Lax; Secure"]
    local = preview.answer_link([NEW], f"http://127.0.0.1:8787/__swerve/preview?t={made}", NOW)
    assert local.location == "/" and "Secure" not in local.set_cookies[0]


def test_a_refused_link_sets_nothing_and_says_why() -> None:
    for url, note in [
        (f"https://s.example/__swerve/preview?t={token(ttl=60)}", "ignored: expired"),
        (f"https://s.example/__swerve/preview?t={token(key=b'other')}", "ignored: bad signature"),
        ("https://s.example/__swerve/preview", "ignored: malformed"),
        ("https://s.example/__swerve/preview?" + "&".join(f"x{i}=1" for i in range(20)), "ignored: malformed"),
    ]:
        answer = preview.answer_link([NEW], url, NOW + 120)
        assert (answer.location, answer.set_cookies, answer.note) == ("/", [], note)


def test_clear_deletes_the_cookie() -> None:
    answer = preview.answer_link([], "https://s.example/__swerve/preview?clear=1&to=/docs", NOW)
    assert answer == preview.LinkAnswer(
        "/docs", ["swerve_preview=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"], "cleared"
    )


@pytest.mark.parametrize(
    ("to", "page"),
    [
        ("/pricing?plan=pro#faq", "/pricing?plan=pro#faq"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/a\\b", "/"),
        ("https://evil.example/", "/"),
        ("evil.example", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("/caf\u00e9", "/"),
        ("/" + "a" * 2000, "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_links_only_go_to_pages_of_the_same_site(to: str | None, page: str) -> None:
    assert preview.safe_page(to) == page


def test_the_link_path_is_recognised_and_nothing_else() -> None:
    assert preview.is_link("https://s.example/__swerve/preview?t=x")
    assert not preview.is_link("https://s.example/docs?next=/__swerve/preview")
    assert not preview.is_link("https://s.example/__swerve/previews")


# ---- deciding ----


def test_forced_variants_win_and_dependent_flags_see_them(ruleset: Ruleset) -> None:
    attributes = {"request": {"path": "/pricing", "bot": False}, "user": {"anonymous_id": "v1"}, "behavior": {}}
    plain = {d.flag: (d.variant, d.reason) for d in decide(ruleset, attributes, NOW)}
    assert plain == {"layout": ("classic", "prerequisite"), "chat": ("hidden", "killed"), "note": ("plain", "rollout")}
    forced = decide(ruleset, attributes, NOW, forced={"headline": "bold", "chat": "shown"})
    assert {d.flag: (d.variant, d.reason) for d in forced} == {
        "layout": ("cards", "rule"),
        "chat": ("shown", "preview"),
        "note": ("plain", "rollout"),
    }
    trace: dict[str, list[str]] = {}
    traced = decide(ruleset, attributes, NOW, trace=trace, forced={"headline": "bold", "chat": "shown"})
    assert traced == forced and trace["headline"][-1] == "preview: forced to bold"
    # A variant the flag does not have forces nothing: the rules decide.
    assert decide(ruleset, attributes, NOW, forced={"headline": "nope"}) == decide(ruleset, attributes, NOW)


# ---- the plan of a request ----


def previewing(forced: dict[str, str] | None = None, **headers: str) -> dict[str, str]:
    cookies = f"{preview.PREVIEW_COOKIE}={token(forced)}"
    if "cookie" in headers:
        cookies = f"{headers.pop('cookie')}; {cookies}"
    return {"cookie": cookies, **headers}


def test_a_preview_forces_shows_the_badge_and_says_why(ruleset: Ruleset) -> None:
    plan = plan_request(ruleset, config(), facts(**previewing(swerve_debug="debug-token")), lambda: "visitor-1")
    assert variants(plan)["headline"] == "bold" and plan.preview
    assert '"headline":"bold"' in (plan.bootstrap or "")
    assert plan.debug_header == (
        "preview=on; until 2027-01-15T09:00:00Z, chat=hidden; killed, headline=bold; preview, "
        "note=plain; rollout 1 bucket=0.0874"
    )
    assert plan.badge.startswith('<aside id="swerve-preview" aria-label="Swerve preview"')
    assert "Swerve preview: headline=bold &middot; " in plan.badge
    assert 'href="/__swerve/preview?clear=1&amp;to=/"' in plan.badge and plan.badge.isascii()
    off = plan_request(ruleset, config(SWERVE_PREVIEW_BADGE="off"), facts(**previewing()), lambda: "visitor-1")
    assert off.badge is None and off.preview and variants(off)["headline"] == "bold"


def test_pairs_the_live_version_lacks_are_ignored_and_said_so(ruleset: Ruleset) -> None:
    forced = {"headline": "bold", "gone": "on", "layout": "grid"}
    plan = plan_request(
        ruleset,
        config(),
        facts("https://www.example.com/pricing?x=1", **previewing(forced, swerve_debug="debug-token")),
        lambda: "visitor-1",
    )
    assert plan.debug_header == (
        "preview=on; until 2027-01-15T09:00:00Z; ignored gone=on (no such flag); "
        "ignored layout=grid (no such variant), chat=hidden; killed, layout=cards; rule 1, "
        "note=plain; rollout 1 bucket=0.0874"
    )
    assert "Swerve preview: headline=bold (ignored: gone=on, layout=grid)" in plan.badge
    assert "to=/pricing%3Fx%3D1" in plan.badge


def test_a_refused_preview_is_ignored_and_the_debug_header_says_why(ruleset: Ruleset) -> None:
    bad = {"cookie": f"{preview.PREVIEW_COOKIE}={token(key=b'other')}", "swerve_debug": "debug-token"}
    plan = plan_request(ruleset, config(), facts(**bad), lambda: "visitor-1")
    assert not plan.preview and plan.badge is None and "headline" not in variants(plan)
    assert plan.debug_header.startswith(
        "preview=off; cookie ignored: bad signature, chat=hidden; killed, headline=control; rollout 1"
    )
    assert plan.counts  # an ordinary visitor again: the exposure counts
    off = plan_request(ruleset, config(SWERVE_PREVIEW_KEY=""), facts(**previewing()), lambda: "visitor-1")
    assert not off.preview and "headline" not in variants(off)


def test_a_previewing_visitor_records_nothing(ruleset: Ruleset) -> None:
    summary = fresh(NOW - 60)
    summary.exposures["headline"] = "control"
    signed = cookie.encode(summary, config().cookie_keys)
    keys = config().cookie_keys
    for url in ("https://www.example.com/", "https://www.example.com/signup/done", "https://www.example.com/pricing"):
        plan = plan_request(ruleset, config(), facts(url, **previewing(cookie=f"{SUMMARY_COOKIE}={signed}")), new_id)
        assert (plan.counts, plan.exposed) == ([], [])
        kept = cookie.decode(dict(c.split(";")[0].split("=", 1) for c in plan.set_cookies)[SUMMARY_COOKIE], keys)
        assert kept.exposures == {"headline": "control"} and kept.converted == {}
    first = plan_request(ruleset, config(), facts(**previewing()), lambda: "visitor-2")
    assert (
        cookie.decode(dict(c.split(";")[0].split("=", 1) for c in first.set_cookies)[SUMMARY_COOKIE], keys).exposures
        == {}
    )
    event = plan_client_event(ruleset, config(), facts(**previewing()), '{"event": "cta_click"}', new_id)
    assert (event.status, event.reason, event.counts) == (204, "not counted: previewing", ())
    counted = plan_client_event(
        ruleset, config(), facts(cookie=f"{SUMMARY_COOKIE}={signed}"), '{"event": "cta_click"}', new_id
    )
    assert counted.reason == "counted" and counted.counts


@given(st.text(max_size=200))
def test_the_badge_escapes_text_as_html_escape_does(text: str) -> None:
    assert preview._escape(text) == html.escape(text)
