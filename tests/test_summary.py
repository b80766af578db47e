"""The behavioral summary's arithmetic (its cookie encoding is in test_cookie.py)."""

from hypothesis import given
from hypothesis import strategies as st

from swerve_edge.summary import (
    COUNTER_CAP,
    Summary,
    fresh,
    record_conversion,
    record_event,
    record_exposure,
    record_exposures,
    record_pageview,
)

NOW = 1_800_000_000


def test_a_fresh_summary_starts_its_first_session_on_the_first_view() -> None:
    summary = fresh(NOW)
    assert (summary.sessions, summary.pageviews, summary.first_seen, summary.last_seen) == (0, 0, NOW, NOW)
    record_pageview(summary, NOW, 1800)
    assert (summary.sessions, summary.pageviews, summary.session_pageviews) == (1, 1, 1)


def test_last_seen_never_goes_back_in_time() -> None:
    summary = fresh(NOW)
    record_pageview(summary, NOW + 100, 1800)
    record_pageview(summary, NOW + 50, 1800)  # a request that arrives late
    assert summary.last_seen == NOW + 100 and summary.sessions == 1


def test_counters_stop_at_the_cap() -> None:
    summary = Summary(NOW, NOW, COUNTER_CAP, COUNTER_CAP, COUNTER_CAP, {"buy": COUNTER_CAP})
    record_pageview(summary, NOW + 10**6, 1800)
    record_event(summary, "buy")
    assert (summary.sessions, summary.pageviews, summary.session_pageviews) == (COUNTER_CAP, COUNTER_CAP, 1)
    assert summary.events == {"buy": COUNTER_CAP}


def test_attributes_are_what_conditions_read_and_a_copy() -> None:
    summary = fresh(NOW - 10 * 86400 - 5)
    record_pageview(summary, NOW, 1800)
    record_event(summary, "signup")
    record_exposure(summary, "hero", "b")
    attributes = summary.attributes(NOW)
    assert attributes["days_since_first_seen"] == 10 and attributes["events"] == {"signup": 1}
    assert "exposures" not in attributes
    attributes["events"]["signup"] = 99
    assert summary.events == {"signup": 1}
    assert fresh(NOW + 5).attributes(NOW)["days_since_first_seen"] == 0  # clock skew is not negative


def test_equality_and_repr_cover_every_field() -> None:
    a = Summary(NOW, NOW, 1, 2, 3, {"e": 1}, {"f": "v"})
    assert a == Summary(NOW, NOW, 1, 2, 3, {"e": 1}, {"f": "v"})
    assert a != Summary(NOW, NOW, 1, 2, 3, {"e": 1}, {"f": "w"})
    assert "exposures={'f': 'v'}" in repr(a)


flags = st.sampled_from(["a", "b", "c", "d", "e"])
contexts = st.sampled_from(["", "", "x", "holdout:x"])


@given(
    st.lists(st.tuples(flags, st.sampled_from(["v", "w"]), contexts), max_size=5),
    st.lists(st.tuples(flags, st.sampled_from(["v", "w"]), contexts), max_size=5, unique_by=lambda t: t[0]),
    st.lists(st.tuples(flags, st.sampled_from(["goal", "other"])), max_size=4),
)
def test_recording_exposures_at_once_is_recording_them_one_by_one(before: list, now: list, goals: list) -> None:
    one_by_one, at_once = fresh(1), fresh(1)
    for summary in (one_by_one, at_once):
        for flag, variant, context in before:
            record_exposure(summary, flag, variant, context)
        for flag, goal in goals:
            if flag in summary.exposures:
                record_conversion(summary, flag, goal)
    firsts = [record_exposure(one_by_one, flag, variant, context) for flag, variant, context in now]
    assert record_exposures(at_once, now) == firsts
    assert at_once == one_by_one
    assert list(at_once.exposures) == list(one_by_one.exposures)  # recency order, oldest first
