"""What the edge plans for one request, in plain Python (the Worker carries it out in test_edge.py)."""

import json

import pytest
from conftest import FIXTURES

from swerve.build import compiled_from_sources
from swerve_edge import cookie
from swerve_edge.config import Config, load_config
from swerve_edge.http import ANONYMOUS_COOKIE, SUMMARY_COOKIE
from swerve_edge.plan import Facts, Plan, plan_client_event, plan_request
from swerve_edge.ruleset import Ruleset, load_ruleset
from swerve_edge.summary import Summary, fresh

NOW = 1_800_000_000
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
VARS = {"SWERVE_COOKIE_KEYS": "plan-test-key-0123456789", "SWERVE_DEBUG_TOKEN": "debug-token"}


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset(compiled_from_sources([str(FIXTURES / "edge_rules")]))


def config(**extra: str) -> Config:
    values = {**VARS, **extra}
    return load_config(lambda name: values.get(name, ""))


def facts(url: str = "https://www.example.com/", now: int = NOW, **headers: str) -> Facts:
    headers = {"user-agent": BROWSER, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return Facts(url, "GET", headers, {"country": "DE"}, 10, 3, now)


def new_id() -> str:
    return "visitor-0001"


def cookies_of(plan: Plan) -> dict[str, str]:
    return {c.split("=", 1)[0]: c.split(";", 1)[0].split("=", 1)[1] for c in plan.set_cookies}


def summary_of(plan: Plan) -> Summary:
    summary = cookie.decode(cookies_of(plan)[SUMMARY_COOKIE], config().cookie_keys)
    assert summary is not None
    return summary


def test_a_first_visit_is_rewritten_bootstrapped_and_remembered(ruleset: Ruleset) -> None:
    plan = plan_request(ruleset, config(), facts(), new_id)
    assert ("every-op", "all") in plan.rewrites and plan.serve_path is None
    assert plan.bootstrap is not None and "</script>" not in plan.bootstrap.removesuffix("</script>")
    assert json.loads(plan.bootstrap.split(">", 1)[1].rsplit("<", 1)[0])["crawler"] == "human"
    assert cookies_of(plan)[ANONYMOUS_COOKIE] == "visitor-0001"
    assert all("Secure" in c and "HttpOnly" in c for c in plan.set_cookies)
    summary = summary_of(plan)
    assert (summary.sessions, summary.pageviews) == (1, 1)
    assert plan.debug_header is None


def test_the_signed_summary_carries_sessions_and_exposures_to_the_next_request(ruleset: Ruleset) -> None:
    first = plan_request(ruleset, config(), facts(), new_id)
    assert ("welcome-back", "shown") not in first.rewrites
    later = facts(now=NOW + 3600, cookie=f"{SUMMARY_COOKIE}={cookies_of(first)[SUMMARY_COOKIE]}")
    second = plan_request(ruleset, config(), later, new_id)
    assert ("welcome-back", "shown") in second.rewrites
    assert summary_of(second).exposures == summary_of(first).exposures
    assert summary_of(second).sessions == 2


def test_a_sticky_exposure_decides_the_served_path(ruleset: Ruleset) -> None:
    summary = fresh(NOW)
    summary.exposures["split"] = "cards"
    signed = cookie.encode(summary, config().cookie_keys)
    pricing = facts("https://www.example.com/pricing", cookie=f"swerve_s={signed}")
    plan = plan_request(ruleset, config(), pricing, new_id)
    assert plan.serve_path == "/pricing-cards"
    assert summary_of(plan).events == {"pricing_view": 1}


def test_a_forged_summary_is_replaced_by_a_fresh_one(ruleset: Ruleset) -> None:
    summary = fresh(NOW - 86400)
    summary.sessions = 50
    forged = cookie.encode(summary, cookie.parse_keys("someone-else-key"))
    plan = plan_request(ruleset, config(), facts(cookie=f"swerve_s={forged}"), new_id)
    assert summary_of(plan).sessions == 1 and ("welcome-back", "shown") not in plan.rewrites


def test_bots_and_visitors_without_consent_get_no_cookies(ruleset: Ruleset) -> None:
    bot = plan_request(ruleset, config(), facts(user_agent="Googlebot/2.1"), new_id)
    assert bot.set_cookies == [] and '"crawler":"bot"' in (bot.bootstrap or "")
    waiting = plan_request(ruleset, config(SWERVE_CONSENT_COOKIE="consent"), facts(), new_id)
    assert waiting.set_cookies == []
    given = plan_request(ruleset, config(SWERVE_CONSENT_COOKIE="consent"), facts(cookie="consent=yes"), new_id)
    assert ANONYMOUS_COOKIE in cookies_of(given)


def test_local_hosts_get_cookies_without_secure_and_ids_are_checked(ruleset: Ruleset) -> None:
    plan = plan_request(ruleset, config(), facts("http://localhost:8787/", cookie="swerve_id=bad id!"), new_id)
    assert not any("Secure" in c for c in plan.set_cookies)
    assert cookies_of(plan)[ANONYMOUS_COOKIE] == "visitor-0001"
    kept = plan_request(ruleset, config(), facts(cookie="swerve_id=returning-visitor-42"), new_id)
    assert cookies_of(kept)[ANONYMOUS_COOKIE] == "returning-visitor-42"


def test_the_debug_header_needs_the_token(ruleset: Ruleset) -> None:
    assert plan_request(ruleset, config(), facts(swerve_debug="wrong"), new_id).debug_header is None
    header = plan_request(ruleset, config(), facts(swerve_debug="debug-token"), new_id).debug_header
    assert header is not None and "every-op=all" in header


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("x" * 2000, 413, "body too large"),
        ("{not json", 400, "body is not JSON"),
        ('{"event": 7}', 400, 'expected {"event": "<name>"}'),
        ('{"event": "pricing_view"}', 422, "event 'pricing_view' is not declared for clients"),
        ('{"event": "cta_click"}', 204, "counted"),
    ],
)
def test_client_events(ruleset: Ruleset, body: str, status: int, reason: str) -> None:
    result = plan_client_event(ruleset, config(), facts(), body, new_id)
    assert (result.status, result.reason) == (status, reason)
    if status == 204:
        assert summary_of(Plan([], None, None, result.set_cookies, None, [], [])).events == {"cta_click": 1}


def test_a_bot_posting_an_event_is_not_counted(ruleset: Ruleset) -> None:
    result = plan_client_event(ruleset, config(), facts(user_agent="curl/8.0"), '{"event": "cta_click"}', new_id)
    assert (result.status, result.reason, result.set_cookies) == (204, "not counted", [])


def test_only_pages_count_as_a_variants_requests(ruleset: Ruleset) -> None:
    # `sticky` rolls out on every path: a page and an image in its scope both decide it.
    page = plan_request(ruleset, config(), facts(), new_id)
    image = plan_request(ruleset, config(), facts("https://www.example.com/logo.png", sec_fetch_dest="image"), new_id)
    script = plan_request(ruleset, config(), facts("https://www.example.com/app", accept="application/json"), new_id)
    assert ("sticky", page.exposed[0][1], "") in page.exposed
    assert image.exposed == [] and script.exposed == []


def test_only_a_page_navigation_is_a_page_view_and_writes_the_summary(ruleset: Ruleset) -> None:
    # A favicon or script requested with the previous page's cookie while the next page is
    # on its way must not set that older summary over the newer one: it sets no cookie.
    page = plan_request(ruleset, config(), facts(), new_id)
    jar = "; ".join(f"{name}={value}" for name, value in cookies_of(page).items())
    for asset in (
        facts("https://www.example.com/favicon.ico", now=NOW + 5, cookie=jar, sec_fetch_dest="image"),
        facts("https://www.example.com/pricing", now=NOW + 5, cookie=jar, sec_fetch_dest="script"),
        facts("https://www.example.com/api", now=NOW + 5, cookie=jar, accept="application/json"),
    ):
        plan = plan_request(ruleset, config(), asset, new_id)
        assert plan.set_cookies == [] and plan.counts == [] and plan.exposed == []
    following = plan_request(ruleset, config(), facts(now=NOW + 9, cookie=jar, sec_fetch_dest="document"), new_id)
    assert summary_of(following).pageviews == 2  # the page before and this one, no asset
