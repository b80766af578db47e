"""The isolate's outcome tally and its D1 upserts (pure parts of recording)."""

import sqlite3

from swerve_edge.outcomes import Count
from swerve_edge.tally import Tally, period_of, upsert_statements

SCHEMA = (
    "CREATE TABLE swerve_stats (flag TEXT NOT NULL, variant TEXT NOT NULL, context TEXT NOT NULL DEFAULT '',"
    " period INTEGER NOT NULL, metric TEXT NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (flag, variant, context, period, metric)) WITHOUT ROWID"
)


def test_counts_aggregate_per_key_and_hour() -> None:
    tally = Tally(interval=30, max_keys=10, now=0)
    tally.add([Count("f", "a", "", "exposure"), Count("f", "a", "", "exposure")], now=7200.5)
    tally.add([Count("f", "a", "", "exposure")], now=10_799)
    tally.add([Count("f", "a", "", "exposure")], now=10_800)
    assert tally.pending == {("f", "a", "", 7200, "exposure"): 3, ("f", "a", "", 10_800, "exposure"): 1}
    assert period_of(10_799.9) == 7200


def test_flush_is_due_after_the_interval_or_at_the_key_bound_and_never_twice_at_once() -> None:
    tally = Tally(interval=30, max_keys=3, now=0)
    assert not tally.due(100)  # nothing pending
    tally.add([Count("f", "a", "", "exposure")], now=10)
    assert not tally.due(20) and tally.due(30)
    tally.add([Count("f", str(i), "", "exposure") for i in range(3)], now=21)
    assert tally.due(21)
    taken = tally.take(21)
    tally.add([Count("f", "a", "", "request")], now=80)
    assert not tally.due(80)  # one flush in flight
    tally.done(taken, ok=True)
    assert tally.due(80)


def test_a_failed_flush_keeps_its_counts_within_a_bound() -> None:
    tally = Tally(interval=0, max_keys=2, now=0)
    tally.add([Count("f", "a", "", "exposure")], now=1)
    taken = tally.take(1)
    tally.add([Count("f", "a", "", "exposure")], now=2)
    tally.done(taken, ok=False)
    assert tally.pending == {("f", "a", "", 0, "exposure"): 2}
    flood = [Count("f", str(i), "", "exposure") for i in range(20)]
    tally.add(flood, now=3)
    assert len(tally.pending) == 8 and tally.dropped == 13


def test_upserts_add_to_existing_rows_in_statements_of_at_most_16_rows() -> None:
    db = sqlite3.connect(":memory:")
    db.execute(SCHEMA)
    taken = {("f", f"v{i}", "", 0, "exposure"): i + 1 for i in range(40)}
    for _ in range(2):
        statements = upsert_statements(taken)
        assert [len(params) for _, params in statements] == [96, 96, 48]
        for sql, params in statements:
            db.execute(sql, params)
    rows = dict(db.execute("SELECT variant, count FROM swerve_stats"))
    assert rows == {f"v{i}": 2 * (i + 1) for i in range(40)}


def test_one_flush_is_scheduled_for_when_the_interval_ends() -> None:
    tally = Tally(interval=30, max_keys=10, now=100)
    assert tally.wait(101) is None  # nothing pending
    tally.add([Count("f", "a", "", "exposure")], now=110)
    assert tally.wait(110) == 20
    tally.scheduled = True
    assert tally.wait(111) is None  # one at a time
    tally.scheduled = False
    tally.take(131)
    assert tally.wait(140) is None  # a flush in flight
