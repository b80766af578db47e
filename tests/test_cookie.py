"""The signed summary cookie: round trips, rotation, tampering, garbage and the size bound."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from swerve_edge import cookie
from swerve_edge.summary import Summary, fresh, record_event, record_exposure, record_pageview

KEYS = cookie.parse_keys("new-key-0123456789abcdef, old-key-0123456789abcdef")
NOW = 1_800_000_000
names = st.text(alphabet=string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=64)


def sample() -> Summary:
    summary = fresh(NOW)
    record_pageview(summary, NOW, 1800)
    record_event(summary, "pricing_view")
    record_exposure(summary, "hero-headline", "outcome")
    return summary


def test_round_trip() -> None:
    summary = sample()
    assert cookie.decode(cookie.encode(summary, KEYS), KEYS) == summary


def test_rotation_accepts_old_key_and_signs_with_new() -> None:
    old_only = cookie.parse_keys("old-key-0123456789abcdef")
    value = cookie.encode(sample(), old_only)
    assert cookie.decode(value, KEYS) == sample()
    resigned = cookie.encode(sample(), KEYS)
    assert cookie.decode(resigned, cookie.parse_keys("new-key-0123456789abcdef")) == sample()
    assert cookie.decode(resigned, old_only) is None


def test_tampering_and_unknown_keys_are_refused() -> None:
    value = cookie.encode(sample(), KEYS)
    version, payload, signature = value.split(".")
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert cookie.decode(f"{version}.{forged}.{signature}", KEYS) is None
    assert cookie.decode(value, cookie.parse_keys("someone-else")) is None
    assert cookie.decode("s0." + value[3:], KEYS) is None
    assert cookie.decode(value + "x" * cookie.MAX_ACCEPTED, KEYS) is None
    assert cookie.decode(value, []) is None


def test_wrong_types_inside_a_valid_signature_are_refused() -> None:
    prefix = "s1." + cookie._b64(b'{"f":-1,"l":0,"s":0,"p":0,"q":0,"e":{},"x":{}}')
    signed = f"{prefix}.{cookie._sign(KEYS[0], prefix)}"
    assert cookie.decode(signed, KEYS) is None


@settings(max_examples=500)
@given(st.text(max_size=300) | st.from_regex(r"s1\.[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{0,50}", fullmatch=True))
def test_garbage_never_raises(value: str) -> None:
    assert cookie.decode(value, KEYS) is None


@settings(max_examples=200)
@given(st.dictionaries(names, st.integers(0, 10**6), max_size=60), st.dictionaries(names, names, max_size=60))
def test_encoded_size_is_bounded_and_drops_by_policy(events: dict, exposures: dict) -> None:
    summary = Summary(NOW, NOW, 3, 40, 5, dict(events), dict(exposures))
    value = cookie.encode(summary, KEYS)
    assert len(value) <= cookie.MAX_ENCODED
    kept = cookie.decode(value, KEYS)
    assert kept is not None and (kept.sessions, kept.pageviews) == (3, 40)
    # Exposures go oldest first, and only once none is left do events go, smallest first.
    assert list(kept.exposures) == list(exposures)[len(exposures) - len(kept.exposures) :]
    if len(kept.events) < len(events):
        assert not kept.exposures
        dropped = sorted(set(events) - set(kept.events))
        assert max(events[d] for d in dropped) <= min(kept.events.values(), default=10**7)


def test_sessions_start_after_idle_timeout() -> None:
    summary = fresh(NOW)
    record_pageview(summary, NOW, 1800)
    record_pageview(summary, NOW + 1799, 1800)
    assert (summary.sessions, summary.pageviews, summary.session_pageviews) == (1, 2, 2)
    record_pageview(summary, NOW + 1799 + 1801, 1800)
    assert (summary.sessions, summary.pageviews, summary.session_pageviews) == (2, 3, 1)
    assert summary.attributes(NOW + 3 * 86400)["days_since_first_seen"] == 3


def test_exposures_keep_recency_order() -> None:
    summary = fresh(NOW)
    for flag in ("a", "b", "c"):
        record_exposure(summary, flag, "v")
    record_exposure(summary, "a", "w")
    assert list(summary.exposures.items()) == [("b", "v"), ("c", "v"), ("a", "w")]


def _signed(body: bytes) -> str:
    prefix = "s1." + cookie._b64(body)
    return f"{prefix}.{cookie._sign(KEYS[0], prefix)}"


def test_each_field_is_checked_inside_a_valid_signature() -> None:
    head = b'"f":1,"l":2,"s":1,"p":1,"q":1'
    assert cookie.decode(_signed(b"{" + head + b',"e":{"a":1},"x":{"f":"v"},"c":{"f":["g"]},"k":{"f":"c"}}'), KEYS)
    refused = [
        b',"e":{"a":true},"x":{}',  # a bool is not a count
        b',"e":{"a":-1},"x":{}',
        b',"e":{"":1},"x":{}',
        b',"e":{},"x":{"f":""}',
        b',"e":{},"x":{"f":1}',
        b',"e":{},"x":{"f":"' + b"v" * 65 + b'"}',
        b',"e":{},"x":{"f":"v"},"c":{"g":["x"]}',  # conversions of a flag never exposed
        b',"e":{},"x":{"f":"v"},"c":{"f":"x"}',
        b',"e":{},"x":{"f":"v"},"c":{"f":[1]}',
        b',"e":{},"x":{"f":"v"},"k":{"g":"c"}',
        b',"e":{},"x":{"f":"v"},"k":{"f":2}',
        b',"e":[],"x":{}',
    ]
    for rest in refused:
        assert cookie.decode(_signed(b"{" + head + rest + b"}"), KEYS) is None, rest
    assert cookie.decode(_signed(b'{"f":1,"l":2,"s":1.5,"p":1,"q":1,"e":{},"x":{}}'), KEYS) is None
    assert cookie.decode(_signed(b'{"f":1,"l":2,"s":1,"p":1,"e":{},"x":{}}'), KEYS) is None
