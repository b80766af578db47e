"""The demo's adaptive upgrade offer learns, and a hesitant visitor then gets the learned arm
in the served HTML, in headless Chromium, with JavaScript and without.

Real requests through the Worker in workerd (the demo origin, local KV and D1) make the
outcome counts: hesitant desktop visitors (three pricing views, then home: context 1.1)
sign up only when shown the no-card trial; desktop visitors who only open the home page
(context 1.0) only when shown the standard offer. ``swerve learn`` publishes weights from
those counts to the same local KV the Worker reads.

The browser's visitor is a hesitant one by its own cookie (three /pricing views in the
browser). Its anonymous id is chosen with the edge's own evaluator (``swerve explain``'s
code): outside the holdout, on the no-card trial under the learned weights and on another
arm under the equal split before learning, so the page shows the trial only if learning
found it and its weights reached the edge.
"""

import json
import re
from pathlib import Path

import pytest
from browser_support import PERSON, SHOTS, VIEW
from cli_support import swerve
from conftest import FIXTURES
from edge_support import Client, Edge
from outcome_support import local_edge, quiet
from playwright.sync_api import Browser

from swerve.demo_origin import DemoOrigin
from swerve.explain import explain
from swerve_edge.ruleset import load_ruleset

RULES = FIXTURES / "demo_adapt_rules"
FLAG = "upgrade-cta"
ARMS = ["standard", "trial-no-card", "one-tap"]
HESITANT, FIRST_TIME = "1.1", "1.0"  # desktop (request.device: other), pricing views 3+ / fewer
BOOTSTRAP = re.compile(r'<script type="application/json" id="swerve-flags">(.*?)</script>', re.S)
TRIAL_TEXT = "no card needed"


def pulled(persist: Path, out: Path) -> dict:
    assert swerve("pull", "-o", str(out), persist=persist).returncode == 0
    return json.loads(out.read_text())


def offer(text: str) -> str:
    """The upgrade-cta arm a page was served, from its bootstrap JSON."""
    match = BOOTSTRAP.search(text)
    assert match, text[:400]
    return json.loads(match.group(1))[FLAG]["offer"]


def hesitant_visit(edge: Edge) -> None:
    """Three pricing views, then home (context 1.1); signs up only when shown the no-card trial."""
    visitor = Client(edge)
    for _ in range(3):
        assert visitor.get("/pricing").status == 200
    if offer(visitor.get("/").text) == "trial-no-card":
        visitor.get("/signup/done")


def first_time_visit(edge: Edge) -> None:
    """Only the home page (context 1.0); signs up only when shown the standard offer."""
    visitor = Client(edge)
    if offer(visitor.get("/").text) == "standard":
        visitor.get("/signup/done")


def decided(document: dict, anonymous_id: str) -> tuple[str, bool]:
    """(arm, in the holdout) the edge's evaluator gives a hesitant desktop visitor with this id."""
    explained = explain(
        load_ruleset(document),
        "http://demo.test/",
        {"user-agent": PERSON},
        {},
        None,
        anonymous_id,
        {},
        {"events": {"pricing_view": 3}},
    )
    (found,) = [e for e in explained if e.flag == FLAG]
    assert found.adaptive is not None and found.adaptive.context == HESITANT, found
    return found.variant, found.adaptive.holdout


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory):
    """(site URL, the document before learning, the learned document): counts from real visits, then `swerve learn`."""
    folder = tmp_path_factory.mktemp("demo-adapt")
    persist = folder / "state"
    first = swerve("push", str(RULES), "-m", "adaptive offer", "--yes", persist=persist)
    assert first.returncode == 0, first.stderr
    before = pulled(persist, folder / "v1.json")
    origin = DemoOrigin()
    variables = {
        "ORIGIN_URL": origin.url,
        "SWERVE_COOKIE_KEYS": "demo-adapt-key",
        "SWERVE_POINTER_TTL_SECONDS": "0",
        "SWERVE_STATS_FLUSH_SECONDS": "0",
    }
    edge = local_edge(persist, variables)
    try:
        for _ in range(30):
            hesitant_visit(edge)
            first_time_visit(edge)
        quiet(edge)
        run = swerve("learn", "--seed", "1", persist=persist)
        assert run.returncode == 0 and "published version 2 (learn)" in run.stdout, run.stdout + run.stderr
        yield f"http://127.0.0.1:{edge.url.port}", before, pulled(persist, folder / "v2.json")
    finally:
        edge.close()
        origin.close()


@pytest.fixture(scope="module")
def chosen(learned: tuple[str, dict, dict]) -> str:
    """An anonymous id outside the holdout that gets the trial from the learned weights and not before."""
    _site, before, after = learned
    for i in range(2000):
        anonymous_id = f"hesitant-{i:05d}"
        arm, holdout = decided(after, anonymous_id)
        if not holdout and arm == "trial-no-card" and decided(before, anonymous_id)[0] != arm:
            return anonymous_id
    pytest.fail("no visitor gets the trial from the learned weights: did learning move them?")


def test_learning_gives_each_context_the_arm_that_converts_there(learned: tuple[str, dict, dict]) -> None:
    _site, before, after = learned
    assert "state" not in before or not before["state"].get("flags")
    policy = after["state"]["flags"][FLAG]["rules"]["0"]["policy"]
    assert policy["arms"] == ARMS and policy["goal"] == "signup"
    hesitant = dict(zip(ARMS, policy["contexts"][HESITANT], strict=True))
    first_time = dict(zip(ARMS, policy["contexts"][FIRST_TIME], strict=True))
    assert max(hesitant, key=hesitant.__getitem__) == "trial-no-card", hesitant
    assert max(first_time, key=first_time.__getitem__) == "standard", first_time
    assert min(hesitant.values()) >= 5 and min(first_time.values()) >= 5  # the rule's floor


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_hesitant_visitor_gets_the_learned_arm_in_the_served_html(
    learned: tuple[str, dict, dict], chosen: str, browser: Browser, javascript: bool
) -> None:
    site, _before, _after = learned
    context = browser.new_context(viewport=VIEW, user_agent=PERSON, java_script_enabled=javascript)
    try:
        context.add_cookies([{"name": "swerve_id", "value": chosen, "url": site + "/"}])
        page = context.new_page()
        for _ in range(3):
            assert page.goto(site + "/pricing").status == 200
        response = page.goto(site + "/")
        served = response.text()
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert offer(served) == "trial-no-card", cookies  # in the HTML as served
        assert TRIAL_TEXT in served
        assert TRIAL_TEXT in page.inner_text("#upgrade-cta")
        assert page.get_attribute("#upgrade-cta", "href") == "/signup?trial=no-card"
        if javascript:
            assert page.evaluate("window.swerveFlags['upgrade-cta'].offer") == "trial-no-card"
        assert cookies["swerve_id"] == chosen and cookies.get("swerve_s")  # the pricing views live in its cookie
        suffix = "" if javascript else "-without-javascript"
        page.screenshot(path=str(SHOTS / f"05-learned-offer{suffix}.png"), full_page=True)
    finally:
        context.close()
