"""`swerve advance` end to end: the Worker in workerd records into local D1, the CLI reads it,
stops a failing variant, moves a healthy ramp one step per run, and a killed run leaves the
previous version serving."""

import json
from pathlib import Path

import pytest
from cli_support import kill_at, swerve
from conftest import FIXTURES
from edge_support import Client, Edge, Origin
from outcome_support import local_edge, quiet

RULES = FIXTURES / "advance_rules"


def history(persist: Path) -> list[str]:
    return swerve("history", persist=persist).stdout.splitlines()


def visit(edge: Edge, path: str, visitors: int) -> list[int]:
    """Statuses of ``visitors`` new visitors opening ``path``."""
    return [Client(edge).get(path).status for _ in range(visitors)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    persist = tmp_path_factory.mktemp("advance") / "state"
    first = swerve("push", str(RULES), "-m", "first", "--yes", persist=persist)
    assert first.returncode == 0, first.stderr
    origin = Origin()
    variables = {
        "ORIGIN_URL": origin.url,
        "SWERVE_COOKIE_KEYS": "advance-key",
        "SWERVE_POINTER_TTL_SECONDS": "0",
        "SWERVE_STATS_FLUSH_SECONDS": "0",
    }
    edge = local_edge(persist, variables)
    yield edge, persist
    edge.close()
    origin.close()


def test_the_report_reads_what_the_worker_recorded(site: tuple[Edge, Path]) -> None:
    edge, persist = site
    visit(edge, "/", 30)
    statuses = visit(edge, "/pricing", 40)
    assert 500 in statuses and 200 in statuses  # the broken variant fails for its visitors
    recorded = quiet(edge)
    report = swerve("report", "--json", persist=persist)
    assert report.returncode == 0, report.stderr
    flags = json.loads(report.stdout)["flags"]
    for flag, variant in (("layout", "classic"), ("layout", "broken"), ("headline", "control"), ("headline", "new")):
        assert flags[flag]["variants"][variant]["units"] == recorded[(flag, variant, "exposure")]
    assert recorded[("layout", "broken", "exposure")] == statuses.count(500)
    text = swerve("report", "layout", persist=persist)
    assert text.returncode == 0 and "layout" in text.stdout and "headline" not in text.stdout, text.stdout
    # The HTML file's folder need not exist yet (a fresh clone has no out/).
    html = persist.parent / "not-yet" / "report.html"
    written = swerve("report", "--html", str(html), persist=persist)
    assert written.returncode == 0, written.stderr
    assert 'data-flag="layout"' in html.read_text()


def test_a_failing_variant_is_stopped_and_a_healthy_ramp_moves_one_step(site: tuple[Edge, Path]) -> None:
    edge, persist = site
    run = swerve("advance", persist=persist)
    assert run.returncode == 0, run.stderr
    assert "layout: stopped broken at 0%: error share" in run.stdout, run.stdout
    assert "headline: new 30% -> 60%" in run.stdout, run.stdout
    lines = history(persist)
    # Flags in the document's order (headline before layout): each change its own version.
    assert lines[0].startswith("* v3 auto-rollback") and lines[1].startswith("  v2 ramp"), lines
    assert set(visit(edge, "/pricing", 20)) == {200}  # the next visitors get the control

    again = swerve("advance", persist=persist)  # no new units since the step began: it holds
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout
    assert "headline: ramp holds: step 2 of 3 (60%) needs 4 units per variant" in again.stdout
    assert history(persist)[0].startswith("* v3 auto-rollback")

    seen = {True: 0, False: 0}
    while min(seen.values()) < 5:
        seen["The new headline" in Client(edge).get("/").text] += 1
    quiet(edge)
    third = swerve("advance", persist=persist)
    assert "headline: new 60% -> 100%" in third.stdout, third.stdout
    assert history(persist)[0].startswith("* v4 ramp")
    assert all("The new headline" in Client(edge).get("/").text for _ in range(5))


@pytest.mark.parametrize("step", ["write-ruleset", "verify-ruleset", "check-pointer", "move-pointer"])
def test_a_killed_advance_leaves_the_previous_version_serving(tmp_path: Path, step: str) -> None:
    persist = tmp_path / "state"
    assert swerve("push", str(RULES), "-m", "first", "--yes", persist=persist).returncode == 0
    origin = Origin()
    variables = {"ORIGIN_URL": origin.url, "SWERVE_COOKIE_KEYS": "k", "SWERVE_STATS_FLUSH_SECONDS": "0"}
    edge = local_edge(persist, variables)
    try:
        visit(edge, "/pricing", 30)
        quiet(edge)
        kill_at(step, "advance", "--persist-to", str(persist))
        assert history(persist)[0].startswith("* v1 "), history(persist)
        assert 500 in visit(edge, "/pricing", 20)  # still the old split: nothing was stopped
        finished = swerve("advance", persist=persist)
        assert "layout: stopped broken" in finished.stdout and history(persist)[1].startswith("  v")
    finally:
        edge.close()
        origin.close()
