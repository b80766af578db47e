"""Adaptive learning end to end: the Worker in workerd decides and records per context into
local D1, ``swerve learn`` publishes weights, and new visitors in a context get the arm that
converted there more often; returning visitors keep theirs; a forged summary cookie can
neither choose an arm nor add counts; a killed learn leaves the last policy serving.

Visitors of two kinds, with their own best arm: "curious" desktop visitors open /pricing
first (context 1.1) and sign up only when shown the trial; "fresh" desktop visitors open
the home page (context 0.1) and sign up only when shown the standard offer.
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import kill_at, swerve
from conftest import FIXTURES, ROOT
from edge_support import Client, Edge, Origin
from outcome_support import local_edge, quiet

from swerve_edge import cookie
from swerve_edge.summary import Summary

RULES = FIXTURES / "adapt_rules"
KEYS = "adapt-edge-key"
ARM = re.compile(r'id="upgrade-cta"[^>]*>Arm (\w+)<')
BEST = {"1.1": "trial", "0.1": "standard"}


def history(persist: Path) -> list[str]:
    return swerve("history", persist=persist).stdout.splitlines()


def arm_of(text: str) -> str:
    match = ARM.search(text)
    assert match, text[:400]
    return match.group(1)


def curious(edge: Edge, convert: bool = True) -> tuple[Client, str]:
    """A desktop visitor who opens /pricing, then home (context 1.1); signs up when shown the trial."""
    visitor = Client(edge)
    assert visitor.get("/pricing").status == 200
    arm = arm_of(visitor.get("/").text)
    if convert and arm == BEST["1.1"]:
        visitor.get("/signup/done")
    return visitor, arm


def fresh(edge: Edge) -> str:
    """A desktop visitor who opens home only (context 0.1); signs up when shown the standard offer."""
    visitor = Client(edge)
    arm = arm_of(visitor.get("/").text)
    if arm == BEST["0.1"]:
        visitor.get("/signup/done")
    return arm


def rows(edge: Edge) -> dict[tuple[str, str, str], int]:
    """(variant, context, metric) -> count of the offer, over every hour."""
    found = edge.d1(
        "SELECT variant, context, metric, SUM(count) AS n FROM swerve_stats WHERE flag = 'offer'"
        " GROUP BY variant, context, metric"
    )
    return {(r["variant"], r["context"], r["metric"]): r["n"] for r in found}


def policy(persist: Path, tmp: Path) -> dict:
    out = tmp / "current.json"
    assert swerve("pull", "-o", str(out), persist=persist).returncode == 0
    state = json.loads(out.read_text()).get("state", {})
    return state.get("flags", {}).get("offer", {}).get("rules", {}).get("0", {}).get("policy", {})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    persist = tmp_path_factory.mktemp("adapt") / "state"
    first = swerve("push", str(RULES), "-m", "adaptive offer", "--yes", persist=persist)
    assert first.returncode == 0, first.stderr
    origin = Origin()
    variables = {
        "ORIGIN_URL": origin.url,
        "SWERVE_COOKIE_KEYS": KEYS,
        "SWERVE_POINTER_TTL_SECONDS": "0",
        "SWERVE_STATS_FLUSH_SECONDS": "0",
    }
    edge = local_edge(persist, variables)
    yield edge, persist
    edge.close()
    origin.close()


def test_the_worker_records_each_exposure_and_conversion_under_its_context(site: tuple[Edge, Path]) -> None:
    edge, _persist = site
    shown = {"1.1": [curious(edge)[1] for _ in range(45)], "0.1": [fresh(edge) for _ in range(30)]}
    quiet(edge)
    counted = rows(edge)
    for key, arms in shown.items():
        units = {
            arm: sum(n for (a, c, m), n in counted.items() if a == arm and m == "exposure" and key in c) for arm in arms
        }
        assert units == {arm: arms.count(arm) for arm in arms}, (key, counted)
        best = BEST[key]
        conversions = sum(n for (a, c, m), n in counted.items() if a == best and m == "conversion:signup" and key in c)
        assert conversions == arms.count(best)
    # Selector health (page, miss:<i>) is per variant, not per context.
    contexts = {c for (_a, c, m) in counted if m in ("exposure", "conversion:signup", "request")}
    assert contexts <= {"1.1", "0.1", "holdout:1.1", "holdout:0.1"} and {"1.1", "0.1"} <= contexts
    assert set(shown["1.1"]) == {"standard", "trial", "tap"}  # an equal split before any learning


def test_a_forged_summary_cookie_neither_chooses_the_arm_nor_counts(site: tuple[Edge, Path]) -> None:
    edge, _persist = site
    before = quiet(edge)
    anonymous = "f" * 32
    honest = Client(edge)
    honest.cookies["swerve_id"] = anonymous
    arm = arm_of(honest.get("/").text)  # a new visitor: counted once
    context = cookie.decode(honest.cookies["swerve_s"], cookie.parse_keys(KEYS)).contexts["offer"]
    wanted = next(a for a in ("standard", "trial", "tap") if a != arm)
    claim = Summary(1, 2, 1, 1, 1, {}, {"offer": wanted}, {}, {"offer": context})
    signed_elsewhere = cookie.encode(claim, [b"someone else's key"])
    payload = cookie.encode(claim, cookie.parse_keys(KEYS)).split(".")[1]
    honest_payload, honest_signature = honest.cookies["swerve_s"].split(".")[1:]
    tampered = f"s1.{payload}.{honest_signature}"  # a real signature over another payload
    assert payload != honest_payload
    for forged in (signed_elsewhere, tampered):
        for path in ("/", "/", "/signup/done"):
            visitor = Client(edge)
            visitor.cookies = {"swerve_id": anonymous, "swerve_s": forged}
            response = visitor.get(path)
            if path == "/":
                assert arm_of(response.text) == arm
    after = quiet(edge)
    # Units, conversions and request counts; selector health (page) counts every rewritten page.
    added = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0) and k[2] != "page"}
    assert added == {("offer", arm, "exposure"): 1, ("offer", arm, "request"): 1}, added


@pytest.mark.parametrize("step", ["write-ruleset", "move-pointer"])
def test_a_killed_learn_leaves_the_last_policy_serving(site: tuple[Edge, Path], step: str, tmp_path: Path) -> None:
    _edge, persist = site
    kill_at(step, "learn", "--persist-to", str(persist))
    assert history(persist)[0].startswith("* v1 "), history(persist)
    assert policy(persist, tmp_path) == {}


def test_learn_publishes_weights_and_new_visitors_get_the_arm_that_converts(
    site: tuple[Edge, Path], tmp_path: Path
) -> None:
    edge, persist = site
    returning, kept = next((v, a) for v, a in (curious(edge, convert=False) for _ in range(30)) if a != BEST["1.1"])
    quiet(edge)
    run = swerve("learn", "--seed", "3", persist=persist)
    assert run.returncode == 0, run.stderr
    assert "offer: learned weights from" in run.stdout and "published version" in run.stdout, run.stdout
    assert history(persist)[0].startswith("* v") and " learn " in history(persist)[0], history(persist)
    learned = policy(persist, tmp_path)
    assert learned["arms"] == ["standard", "trial", "tap"] and learned["seed"] == 3
    weights = dict(zip(learned["arms"], learned["contexts"]["1.1"], strict=True))
    assert weights["trial"] >= 80 and min(weights.values()) >= 5, weights
    assert max(learned["contexts"]["0.1"]) == learned["contexts"]["0.1"][0]  # standard leads there

    shown = [curious(edge, convert=False)[1] for _ in range(40)]
    assert shown.count("trial") >= 24, shown  # 90% of the policy's visitors, a third of the holdout's
    assert arm_of(returning.get("/").text) == kept  # a returning visitor keeps their arm

    report = swerve("report", "--json", persist=persist)
    assert report.returncode == 0, report.stderr
    adaptive = json.loads(report.stdout)["flags"]["offer"]["adaptive"]
    counted = quiet(edge)
    assert adaptive["contexts"]["1.1"]["weights_from"] == "1.1"
    assert adaptive["contexts"]["1.1"]["arms"]["trial"]["weight"] == weights["trial"]
    units = sum(ctx["units"] for ctx in adaptive["contexts"].values())
    assert units == sum(n for (_f, _v, m), n in counted.items() if m == "exposure")

    pulled = tmp_path / "live.json"
    assert swerve("pull", "-o", str(pulled), persist=persist).returncode == 0
    explained = subprocess.run(
        [sys.executable, "-m", "swerve.cli", "explain", "--compiled", str(pulled), "--url", "https://shop.test/",
         "--behavior", '{"events": {"pricing_view": 2}}', "--anonymous-id", "someone", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert explained.returncode == 0, explained.stderr
    (offer,) = json.loads(explained.stdout)
    assert offer["adaptive"]["context"] == "1.1" and offer["adaptive"]["weights_from"] == "1.1"
    assert offer["adaptive"]["weights"]["trial"] == weights["trial"]
    assert any("weights from context 1.1" in step for step in offer["steps"]), offer["steps"]


def hours_from_now(hours: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + hours * 3600))


def test_learn_publishes_nothing_before_its_cadence_or_when_nothing_moved(site: tuple[Edge, Path]) -> None:
    _edge, persist = site
    top = history(persist)[0]
    early = swerve("learn", "--seed", "3", persist=persist)
    assert early.returncode == 0 and "the cadence allows the next" in early.stdout, early.stdout
    assert "nothing to change" in early.stdout and history(persist)[0] == top
    # The visitors since the last learn are new data: this run may publish...
    assert swerve("learn", "--seed", "3", "--now", hours_from_now(2), persist=persist).returncode == 0
    top = history(persist)[0]
    # ...but the same rows with the same seed give the same weights: nothing to publish.
    same = swerve("learn", "--seed", "3", "--now", hours_from_now(4), persist=persist)
    assert same.returncode == 0 and "no weight moved" in same.stdout and "nothing to change" in same.stdout, same.stdout
    assert history(persist)[0] == top
