"""Outcome recording in workerd with real local D1 and KV: units, not requests.

The Worker counts first exposures, conversions and 5xx per variant into the isolate's
tally and flushes it to D1 after responses (``SWERVE_STATS_FLUSH_SECONDS=0``: as soon as
no flush is in flight). Tests read D1 back and wait for the flush to land.
"""

import time
from pathlib import Path

import pytest
from conftest import FIXTURES
from edge_support import Client, Edge, Origin
from outcome_support import counts, settle
from test_edge import KEYS, rehash, variables

from swerve.build import compiled_from_sources
from swerve_edge import cookie
from swerve_edge.outcomes import HEALTH_ALL_PAGES, HEALTH_SAMPLE


def exposed_variant(visitor: Client, flag: str) -> str:
    """The variant of ``flag`` the visitor's signed summary says they were shown."""
    summary = cookie.decode(visitor.cookies["swerve_s"], cookie.parse_keys(KEYS))
    assert summary is not None
    return summary.exposures[flag]


def start(origin: Origin, tmp: Path, migrated: bool = True, **extra: str) -> Edge:
    edge = Edge(
        tmp / "kv",
        variables(origin, **{"SWERVE_STATS_FLUSH_SECONDS": "0", **extra}),
        d1="swerve-stats",
        d1_persist=tmp / "d1",
    )
    if migrated:
        edge.migrate()
    edge.publish(compiled_from_sources([str(FIXTURES / "outcome_rules")]), 1)
    return edge


@pytest.fixture(scope="module")
def origin():
    server = Origin()
    yield server
    server.close()


@pytest.fixture(scope="module")
def edge(origin: Origin, tmp_path_factory: pytest.TempPathFactory):
    worker = start(origin, tmp_path_factory.mktemp("outcomes"))
    yield worker
    worker.close()


def test_a_returning_visitor_is_one_unit_and_converts_once_per_goal(edge: Edge) -> None:
    before = counts(edge)
    visitor = Client(edge)
    for _ in range(3):
        assert visitor.get("/").status == 200
    variant = "trial" if "Try it free" in visitor.get("/").text else "standard"
    for _ in range(2):
        assert visitor.get("/signup/done").status == 200
        assert visitor.request("POST", "/__swerve/event", b'{"event": "cta_click"}').status == 204
    want = {
        ("offer", variant, "exposure"): before.get(("offer", variant, "exposure"), 0) + 1,
        ("offer", variant, "conversion:signup"): before.get(("offer", variant, "conversion:signup"), 0) + 1,
        ("offer", variant, "conversion:cta_click"): before.get(("offer", variant, "conversion:cta_click"), 0) + 1,
        ("offer", variant, "request"): before.get(("offer", variant, "request"), 0) + 4,
    }
    seen = settle(edge, want)
    assert {k: seen.get(k) for k in want} == want


def test_goals_count_only_for_flags_the_visitor_was_exposed_to_before(edge: Edge) -> None:
    visitor = Client(edge)
    assert visitor.get("/signup/done").status == 200  # not exposed to anything yet
    visitor.get("/")  # first exposure
    seen = settle(edge, {})
    variant = exposed_variant(visitor, "offer")
    exposures = seen[("offer", variant, "exposure")]
    conversions = seen.get(("offer", variant, "conversion:signup"), 0)
    visitor.get("/signup/done")  # now it converts
    want = {("offer", variant, "conversion:signup"): conversions + 1, ("offer", variant, "exposure"): exposures}
    seen = settle(edge, want)
    assert {k: seen.get(k) for k in want} == want


def test_a_forged_or_tampered_summary_counts_nothing(edge: Edge) -> None:
    visitor = Client(edge)
    visitor.get("/")
    variant = exposed_variant(visitor, "offer")
    seen = settle(edge, {})
    exposures = seen[("offer", variant, "exposure")]
    signed = visitor.cookies["swerve_s"]
    visitor.cookies["swerve_s"] = signed[:-4] + ("AAAA" if not signed.endswith("AAAA") else "BBBB")
    assert visitor.get("/").status == 200  # served, with a fresh summary...
    visitor.cookies["swerve_s"] = signed[:10] + "x" + signed[11:]
    assert visitor.get("/signup/done").status == 200
    time.sleep(0.5)
    seen = settle(edge, {})
    assert seen[("offer", variant, "exposure")] == exposures  # ...but not counted again


def test_origin_errors_are_counted_per_variant(edge: Edge) -> None:
    statuses = {"classic": 0, "broken": 0}
    for _ in range(30):
        visitor = Client(edge)
        visitor.get("/")
        response = visitor.get("/pricing")
        statuses["broken" if response.status == 500 else "classic"] += 1
    assert statuses["broken"] and statuses["classic"]
    seen = settle(edge, {("layout", "broken", "error"): statuses["broken"]})
    assert seen.get(("layout", "broken", "error")) == statuses["broken"]
    assert seen.get(("layout", "broken", "request")) == statuses["broken"]
    assert seen.get(("layout", "classic", "request")) == statuses["classic"]
    assert ("layout", "classic", "error") not in seen


def test_bots_are_not_counted(edge: Edge) -> None:
    def outcomes(seen: dict) -> dict:
        # Selector health counts every rewritten page, bots' included: leave it out here.
        return {k: v for k, v in seen.items() if not k[2].startswith(("page", "miss:", "skip:"))}

    before = outcomes(counts(edge))
    bot = Client(edge, user_agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    for _ in range(3):
        bot.get("/")
        bot.get("/pricing")
    assert outcomes(settle(edge, {})) == before


@pytest.mark.parametrize("case", ["unbound", "no-table", "failing-statement"])
def test_a_broken_d1_never_touches_the_page(origin: Origin, tmp_path: Path, case: str) -> None:
    if case == "unbound":
        worker = Edge(tmp_path / "kv", variables(origin, SWERVE_STATS_FLUSH_SECONDS="0"))
        worker.publish(compiled_from_sources([str(FIXTURES / "outcome_rules")]), 1)
    else:
        worker = start(origin, tmp_path, migrated=False)
        if case == "failing-statement":
            worker.d1(
                "CREATE TABLE swerve_stats (flag TEXT, variant TEXT, context TEXT, period INTEGER, metric TEXT,"
                " count INTEGER CHECK (count < 0), PRIMARY KEY (flag, variant, context, period, metric))"
            )
    try:
        pages = []
        for _ in range(4):
            visitor = Client(worker)
            pages.append(visitor.get("/"))
            pages.append(visitor.get("/signup/done"))
        assert all(page.status == 200 and "</html>" in page.text for page in pages)
        assert all(page.header("set-cookie") for page in pages)
    finally:
        logs = worker.close()
    expected = {"unbound": "no SWERVE_STATS binding", "no-table": "writing outcome counts to D1 failed"}
    expected["failing-statement"] = expected["no-table"]
    assert logs.count(expected[case]) == 1, logs


def test_selector_health_counts_pages_where_an_operation_matched_nothing(origin: Origin, tmp_path: Path) -> None:
    worker = start(origin, tmp_path)
    document = compiled_from_sources([str(FIXTURES / "outcome_rules")])
    health = next(f for f in document["flags"] if f["key"] == "health")
    health["variants"][0]["ops"].append(["h1", "explode", "x"])  # a newer CLI's action: dropped, counted
    worker.publish(rehash(document), 2)
    try:
        bot = Client(worker, user_agent="Googlebot/2.1")  # pages of bots are rewritten and checked too
        for _ in range(3):
            assert "checked" in Client(worker).get("/").text
            assert "checked" in bot.get("/").text
        want = {
            ("health", "checked", "page"): 6,
            ("health", "checked", "miss:1"): 6,
            ("health", "checked", "skip:2"): 6,
        }
        seen = settle(worker, want)
        assert {k: seen.get(k) for k in want} == want
        assert ("health", "checked", "miss:0") not in seen
    finally:
        worker.close()


def test_selector_health_is_checked_on_a_versions_first_pages_then_on_a_sample(origin: Origin, tmp_path: Path) -> None:
    worker = start(origin, tmp_path)
    try:
        visitor = Client(worker)
        pages = HEALTH_ALL_PAGES + 2 * HEALTH_SAMPLE + 1
        for _ in range(pages):
            assert "checked" in visitor.get("/").text  # every page rewritten, sampled or not
        checked = HEALTH_ALL_PAGES + 2
        want = {("health", "checked", "page"): checked, ("health", "checked", "miss:1"): checked}
        seen = settle(worker, want)
        assert {k: seen.get(k) for k in want} == want
    finally:
        worker.close()


def test_counts_land_within_the_flush_interval_when_no_request_follows(origin: Origin, tmp_path: Path) -> None:
    worker = start(origin, tmp_path, SWERVE_STATS_FLUSH_SECONDS="2")
    try:
        Client(worker).get("/")  # the first request's counts wait: the interval has not passed
        for _ in range(100):  # read D1 directly: no request reaches the Worker meanwhile
            if ("offer", "standard", "exposure") in counts(worker) or ("offer", "trial", "exposure") in counts(worker):
                break
            time.sleep(0.1)
        exposures = sum(
            n for (flag, _v, metric), n in counts(worker).items() if flag == "offer" and metric == "exposure"
        )
        assert exposures == 1
    finally:
        worker.close()
