"""The signed summary cookie: format, signing with rotating keys, and the size bound.

Value format, version 1 (``docs/cookie.md`` documents it for people)::

    s1.<payload>.<signature>

``payload`` is base64url (no padding) of compact JSON
``{"f": first_seen, "l": last_seen, "s": sessions, "p": pageviews,
"q": session_pageviews, "e": {event: count}, "x": {flag: variant}, "c": {flag: [goal]},
"k": {flag: context}}`` (``c``, the goals already counted as conversions per exposed flag,
and ``k``, the context each adaptive exposure was decided in, may be absent);
``signature`` is
base64url of HMAC-SHA256 over ``s1.<payload>`` with the first configured key. Any key
in the list verifies, so keys rotate without logging anyone out.

Whatever fails (wrong version, bad signature, garbled base64 or JSON, wrong types,
oversized) makes ``decode`` return None: the caller starts a fresh summary and never
trusts or errors on what it was sent.

The encoded value never exceeds ``MAX_ENCODED`` bytes. When it would, data is dropped
in this order until it fits: the oldest exposures (with their contexts and the
conversions counted for them), then the events with the smallest counts (ties: by name). Counters and
timestamps always stay.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Collection

from .summary import Summary, drop_exposure

VERSION = "s1"
MAX_ENCODED = 1200
# Anything longer than a value we could have written is refused before any work.
MAX_ACCEPTED = MAX_ENCODED
_MAX_NAME = 64
# json.dumps with options builds a new encoder per call: the cookie's is built once.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Per key, the HMAC state after the key (hmac's own object): each signature copies it instead
# of hashing the padded key again. Keys come from the Worker's secret: a handful at most.
_keyed: dict[bytes, "hmac.HMAC"] = {}


def _sign(key: bytes, message: str) -> str:
    keyed = _keyed.get(key)
    if keyed is None:
        keyed = _keyed[key] = hmac.new(key, digestmod=hashlib.sha256)
    mac = keyed.copy()
    mac.update(message.encode("ascii"))
    return _b64(mac.digest())


def parse_keys(secret: str) -> list[bytes]:
    """Keys from ``SWERVE_COOKIE_KEYS`` (comma-separated; the first signs, all verify)."""
    return [k.strip().encode("utf-8") for k in secret.split(",") if k.strip()]


def _payload(summary: Summary) -> str:
    body = {
        "f": summary.first_seen,
        "l": summary.last_seen,
        "s": summary.sessions,
        "p": summary.pageviews,
        "q": summary.session_pageviews,
        "e": summary.events,
        "x": summary.exposures,
    }
    if summary.converted:
        body["c"] = summary.converted
    if summary.contexts:
        body["k"] = summary.contexts
    return _b64(_COMPACT.encode(body).encode("ascii"))


def encode(summary: Summary, keys: list[bytes]) -> str:
    """The signed cookie value, trimmed by the documented policy to at most MAX_ENCODED bytes."""
    while True:
        prefix = f"{VERSION}.{_payload(summary)}"
        value = f"{prefix}.{_sign(keys[0], prefix)}"
        if len(value) <= MAX_ENCODED:
            return value
        if summary.exposures:
            drop_exposure(summary, next(iter(summary.exposures)))
        elif summary.events:
            smallest = min(summary.events.items(), key=lambda item: (item[1], item[0]))[0]
            del summary.events[smallest]
        else:
            raise ValueError("a summary without events or exposures cannot exceed the cookie size")


# The checks below run over every item of a summary on every request: they test a whole
# collection with built-ins (types as a set, lengths with min/max) rather than item by item.


def _counts(values: Collection[object]) -> bool:
    """Every value a non-negative int (not a bool)."""
    return not values or (set(map(type, values)) == {int} and min(values) >= 0)


def _names(values: Collection[object]) -> bool:
    """Every value a str of 1 to _MAX_NAME characters."""
    if not values:
        return True
    if set(map(type, values)) != {str}:
        return False
    lengths = list(map(len, values))
    return min(lengths) > 0 and max(lengths) <= _MAX_NAME


def decode(value: str, keys: list[bytes]) -> Summary | None:
    """The summary in a cookie value, or None when it cannot be trusted."""
    if not keys or type(value) is not str or len(value) > MAX_ACCEPTED or not value.isascii():
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        return None
    prefix = f"{parts[0]}.{parts[1]}"
    if not any(hmac.compare_digest(_sign(key, prefix), parts[2]) for key in keys):
        return None
    try:
        body = json.loads(_unb64(parts[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if type(body) is not dict:
        return None
    numbers = [body.get(k) for k in ("f", "l", "s", "p", "q")]
    events = body.get("e")
    exposures = body.get("x")
    if not _counts(numbers) or type(events) is not dict or type(exposures) is not dict:
        return None
    if not (_names(events.keys()) and _counts(events.values())):
        return None
    if not (_names(exposures.keys()) and _names(exposures.values())):
        return None
    converted = body.get("c", {})
    if type(converted) is not dict or not converted.keys() <= exposures.keys():
        return None
    if not all(type(v) is list and _names(v) for v in converted.values()):
        return None
    contexts = body.get("k", {})
    if type(contexts) is not dict or not (contexts.keys() <= exposures.keys() and _names(contexts.values())):
        return None
    first, last, sessions, pageviews, session_pageviews = numbers
    return Summary(first, last, sessions, pageviews, session_pageviews, events, exposures, converted, contexts)
