"""A visitor's journey through the demo site in headless Chromium, behind the Worker.

The browser is Debian's chromium, or Playwright's when that is what `make test` could install
(``swerve.chromium``).

Screenshots of each state are kept in out/screenshots/ as test artifacts.
"""

import time

import pytest
from browser_support import PERSON, VIEW, shoot
from conftest import DEMO_RULES
from playwright.sync_api import Browser, BrowserContext

from swerve.build import compiled_from_sources
from swerve.demo_origin import DemoOrigin
from swerve.local_runtime import LocalEdge

IDLE_SECONDS = 2
STANDARD = "See plans and upgrade"
TRIAL = "no card needed"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    origin = DemoOrigin()
    variables = {
        "ORIGIN_URL": origin.url,
        "SWERVE_COOKIE_KEYS": "browser-test-key",
        "SWERVE_SESSION_IDLE_SECONDS": str(IDLE_SECONDS),
        "SWERVE_POINTER_TTL_SECONDS": "5",
    }
    edge = LocalEdge(tmp_path_factory.mktemp("kv"), variables)
    edge.publish(compiled_from_sources([str(DEMO_RULES)]), 1)
    yield f"http://127.0.0.1:{edge.url.port}"
    edge.close()
    origin.close()


@pytest.fixture
def visitor(browser: Browser):
    context = browser.new_context(viewport=VIEW, user_agent=PERSON)
    yield context
    context.close()


def anonymous_id(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "swerve_id")


def test_first_visit_shows_the_control(site: str, visitor: BrowserContext) -> None:
    page = visitor.new_page()
    response = page.goto(site + "/")
    assert response.status == 200
    assert page.inner_text("#upgrade-cta") == STANDARD
    assert page.evaluate("window.swerveFlags['upgrade-cta'].offer") == "standard"
    assert {c["name"] for c in visitor.cookies()} >= {"swerve_id", "swerve_s"}
    shoot(page, "01-first-visit.png")


def test_journey_makes_the_adaptive_offer_part_of_the_html(
    site: str, visitor: BrowserContext, browser: Browser
) -> None:
    page = visitor.new_page()
    page.goto(site + "/")
    first_id = anonymous_id(visitor)
    for _ in range(3):
        page.goto(site + "/pricing")
        assert TRIAL not in page.content()
    time.sleep(IDLE_SECONDS + 1.2)  # idle long enough for a second session
    page.goto(site + "/pricing")
    page.click("#compare-plans")
    page.wait_for_selector("text=Plans compared")
    shoot(page, "02-pricing-compared.png")
    response = page.goto(site + "/")
    assert TRIAL in response.text()  # in the HTML as served: nothing swaps it in later
    assert TRIAL in page.inner_text("#upgrade-cta")
    assert page.get_attribute("#upgrade-cta", "href") == "/signup?trial=no-card"
    assert page.evaluate("window.swerveFlags['upgrade-cta'].offer") == "trial-no-card"
    assert anonymous_id(visitor) == first_id  # the cookie persisted across every navigation
    shoot(page, "03-adaptive-offer.png")

    no_script = browser.new_context(java_script_enabled=False, viewport=VIEW, user_agent=PERSON)
    try:
        no_script.add_cookies(visitor.cookies())
        plain = no_script.new_page()
        plain.goto(site + "/")
        assert TRIAL in plain.inner_text("#upgrade-cta")
        shoot(plain, "04-adaptive-offer-without-javascript.png")
    finally:
        no_script.close()


def test_headless_chrome_is_treated_as_a_bot(site: str, browser: Browser) -> None:
    context = browser.new_context(viewport=VIEW)
    try:
        page = context.new_page()
        page.goto(site + "/")
        assert page.inner_text("#upgrade-cta") == STANDARD and not context.cookies()
    finally:
        context.close()


def test_page_script_reads_the_bootstrap(site: str, visitor: BrowserContext) -> None:
    page = visitor.new_page()
    page.goto(site + "/docs")
    assert page.inner_text("#search-provider") == "Search powered by basic"
    shoot(page, "05-docs-reads-bootstrap.png")
