"""The HTML report in Debian's chromium: it opens offline, and shows the fixture's numbers.

The screenshot is kept as out/screenshots/report.png (the whole page).
"""

import pytest
from browser_support import SHOTS, launch
from playwright.sync_api import sync_playwright
from report_fixture import ARMS, NOW, OFFER_RATES, RAMP_CHANGE, Fixture, totals

from swerve.report import build_report
from swerve.report_html import render_html
from swerve_edge.stats import srm_p_value


@pytest.fixture(scope="module")
def fixture() -> Fixture:
    return Fixture()


@pytest.fixture(scope="module")
def requests() -> list[str]:
    """Every URL the report's page asked for."""
    return []


@pytest.fixture(scope="module")
def page(fixture: Fixture, requests: list[str], tmp_path_factory: pytest.TempPathFactory):
    report = build_report(fixture.document, fixture.rows, fixture.history, load=fixture.load, now=NOW)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        tab = context.new_page()
        tab.on("request", lambda request: requests.append(request.url))
        tab.goto(path.as_uri())
        tab.wait_for_load_state("load")
        yield tab
        context.close()
        browser.close()


def _cell(page, flag: str, variant: str, field: str) -> str:
    return page.inner_text(f'section[data-flag="{flag}"] tr[data-variant="{variant}"] td[data-field="{field}"]')


def test_the_report_needs_nothing_but_its_own_file(page, requests: list[str]) -> None:
    assert len(requests) == 1 and requests[0] == page.url and page.url.startswith("file://")
    shot = SHOTS / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000


@pytest.mark.parametrize(
    ("flag", "variant"), [("hero", "control"), ("hero", "outcome"), ("layout", "classic"), ("layout", "cards")]
)
def test_the_table_shows_the_fixtures_numbers(page, fixture: Fixture, flag: str, variant: str) -> None:
    units = totals(fixture.rows, flag, variant, "exposure")
    conversions = totals(fixture.rows, flag, variant, "conversion:signup")
    requests = totals(fixture.rows, flag, variant, "request")
    errors = totals(fixture.rows, flag, variant, "error")
    assert _cell(page, flag, variant, "units") == f"{units:,}"
    assert _cell(page, flag, variant, "conversions") == f"{conversions:,}"
    assert _cell(page, flag, variant, "rate").startswith(f"{100 * conversions / units:.2f}%")
    assert _cell(page, flag, variant, "errors").startswith(f"{100 * errors / requests:.2f}%")
    legend = page.inner_text(f'section[data-flag="{flag}"] .legend')
    assert f"{variant} {100 * conversions / units:.2f}%" in legend


def test_guardrails_srm_and_ramp_as_shown(page, fixture: Fixture) -> None:
    assert _cell(page, "layout", "cards", "guardrail") == "breach"
    assert _cell(page, "hero", "outcome", "guardrail") == "ok"
    units = [totals(fixture.rows, "hero", v, "exposure", since=RAMP_CHANGE) for v in ("control", "outcome")]
    srm = page.inner_text('section[data-flag="hero"] [data-field="srm_p"]')
    assert srm == f"{srm_p_value(units, [75, 25]):.3g}"
    layout = page.inner_text('section[data-flag="layout"] [data-field="srm"]')
    assert layout.startswith("Sample ratio mismatch")
    hero = page.inner_text('section[data-flag="hero"]')
    assert "Ramp of outcome: step 2 of 3 (25%) since 2026-11-20 20:00 UTC" in hero
    assert "never matched" in hero


def test_every_chart_is_drawn_and_labelled(page) -> None:
    charts = page.query_selector_all('svg[role="img"]')
    # A rate chart per flag, and the offer's weights: its six contexts and the global one.
    assert len(charts) == 3 + len(OFFER_RATES) + 1
    for chart in charts:
        box = chart.bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 150
        assert chart.query_selector("title").text_content()
        assert "time (UTC)" in chart.text_content()
    lines = page.query_selector_all('section[data-flag="hero"] path[data-variant]')
    assert [line.get_attribute("data-variant") for line in lines] == ["control", "outcome"]


def test_adaptive_contexts_as_shown(page, fixture: Fixture) -> None:
    live = fixture.document["state"]["flags"]["offer"]["rules"]["0"]["policy"]["contexts"]
    for key in OFFER_RATES:
        for arm, weight in zip(ARMS, live[key], strict=True):
            text = page.inner_text(f'tr[data-context="{key}"] td[data-arm="{arm}"]')
            assert f"· {weight:.1f}%" in text
    assert "behavior.sessions: 4 or more, request.device: 'mobile'" in page.inner_text('tr[data-context="2.0"] td')
    policy = page.inner_text('[data-field="policy"]')
    units = sum(
        r.count
        for r in fixture.rows
        if r.flag == "offer" and r.metric == "exposure" and r.context and not r.context.startswith("holdout:")
    )
    assert f"of {units:,})" in policy
