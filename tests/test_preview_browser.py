"""A preview link in headless Chromium: made by `swerve preview`, opened, seen, ended.

The demo site behind the Worker (workerd, local KV written by `swerve push`); the link
comes from the CLI reading that KV. Screenshots go to out/screenshots/ as test artifacts.
"""

from pathlib import Path

import pytest
from browser_support import PERSON, VIEW, shoot
from cli_support import run_swerve
from conftest import DEMO_RULES
from playwright.sync_api import Browser
from test_browser import STANDARD, TRIAL

from swerve.demo_origin import DemoOrigin
from swerve.local_runtime import LocalEdge

NAMESPACE = "00000000000000000000000000000000"  # wrangler.toml's SWERVE_RULES id
KEY = "browser-preview-key"
NEW_HEADLINE = "Ship the right page to every visitor"


def swerve(*args: str, persist: Path) -> str:
    result = run_swerve(*args, persist=persist, env={"SWERVE_PREVIEW_KEY": KEY, "SWERVE_AUTHOR": "browser-test"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    persist = tmp_path_factory.mktemp("state")
    origin = DemoOrigin()
    variables = {"ORIGIN_URL": origin.url, "SWERVE_COOKIE_KEYS": "browser-test-key", "SWERVE_PREVIEW_KEY": KEY}
    edge = LocalEdge(persist / "v3" / "kv", variables, namespace=NAMESPACE)
    swerve("push", str(DEMO_RULES), "-m", "demo rules", "--yes", persist=persist)
    yield f"http://127.0.0.1:{edge.url.port}", persist
    edge.close()
    origin.close()


def test_open_a_preview_link_see_the_forced_variants_and_end_it(site: tuple[str, Path], browser: Browser) -> None:
    url, persist = site
    link = swerve("preview", "hero-headline=outcome", "upgrade-cta=trial-no-card", "--url", f"{url}/", persist=persist)
    clear = swerve("preview", "--clear", "--url", f"{url}/pricing", persist=persist)
    context = browser.new_context(viewport=VIEW, user_agent=PERSON)
    try:
        page = context.new_page()
        response = page.goto(link)
        assert response.url == f"{url}/" and response.request.redirected_from.url == link
        served = response.text()  # the HTML as the Worker served it: nothing swaps it in later
        assert NEW_HEADLINE in served and TRIAL in served and 'id="swerve-preview"' in served
        assert page.inner_text("h1.hero-title") == NEW_HEADLINE and TRIAL in page.inner_text("#upgrade-cta")
        assert page.evaluate("window.swerveFlags['upgrade-cta'].offer") == "trial-no-card"
        badge = page.get_by_role("complementary", name="Swerve preview")
        assert badge.is_visible()
        assert (
            badge.inner_text() == "Swerve preview: hero-headline=outcome, upgrade-cta=trial-no-card \u00b7 End preview"
        )
        box = badge.bounding_box()
        assert box["x"] >= 0 and box["y"] + box["height"] <= VIEW["height"] and box["height"] < 60
        shoot(page, "preview-01-forced.png")

        page.get_by_role("link", name="End preview").click()
        page.wait_for_load_state()
        assert page.url == f"{url}/"
        assert page.inner_text("#upgrade-cta") == STANDARD and not page.locator("#swerve-preview").count()
        assert "swerve_preview" not in {c["name"] for c in context.cookies()}
        shoot(page, "preview-02-ended.png")

        page.goto(link)
        assert TRIAL in page.inner_text("#upgrade-cta")
        response = page.goto(clear)  # the link `swerve preview --clear` prints ends it too
        assert response.url == f"{url}/pricing" and TRIAL not in response.text()
        assert "swerve_preview" not in {c["name"] for c in context.cookies()}
    finally:
        context.close()
