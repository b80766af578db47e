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

from .summary import Summary, drop_exposure

VERSION = "s1"
MAX_ENCODED = 1200
# Anything longer than a value we could have written is refused before any work.
MAX_ACCEPTED = MAX_ENCODED
_MAX_NAME = 64


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode("ascii"), hashlib.sha256).digest())


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
    return _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii"))


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


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def _name(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= _MAX_NAME


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
    if not all(_count(n) for n in numbers) or type(events) is not dict or type(exposures) is not dict:
        return None
    if not all(_name(k) and _count(v) for k, v in events.items()):
        return None
    if not all(_name(k) and _name(v) for k, v in exposures.items()):
        return None
    converted = body.get("c", {})
    if type(converted) is not dict or not all(
        k in exposures and type(v) is list and all(_name(g) for g in v) for k, v in converted.items()
    ):
        return None
    contexts = body.get("k", {})
    if type(contexts) is not dict or not all(k in exposures and _name(v) for k, v in contexts.items()):
        return None
    first, last, sessions, pageviews, session_pageviews = numbers
    return Summary(first, last, sessions, pageviews, session_pageviews, events, exposures, converted, contexts)
