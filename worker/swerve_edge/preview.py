"""Preview links: a signed, expiring token that forces variants for one browser.

``swerve preview FLAG=VARIANT ...`` makes the link ``/__swerve/preview?t=<token>&to=<page>``.
The Worker answers it with a redirect to the page and the token as the ``swerve_preview``
cookie; every later request of that browser carrying a valid token decides the forced
flags with reason "preview" (inside the generated evaluator, so dependent flags see the
forced variant), records no outcome at all and shows a small badge. ``?clear=1`` ends it.
``docs/deploy.md`` (Preview links) documents this for people.

Token, version 1::

    p1.<payload>.<signature>

``payload`` is base64url (no padding) of compact JSON ``{"f": {flag: variant}, "e": expiry}``
(expiry in epoch seconds); ``signature`` is base64url of HMAC-SHA256 over ``p1.<payload>``
with the first key of the secret ``SWERVE_PREVIEW_KEY`` (comma-separated; every key
verifies, so keys rotate). Anything else, a bad signature, an expiry past or more than
``MAX_TTL`` ahead, or more than ``MAX_TOKEN`` characters is refused before it is trusted,
and even a valid token forces only flags and variants of the live ruleset.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from .http import is_local_host, parse_cookies, set_cookie

if TYPE_CHECKING:
    from .ruleset import Ruleset

VERSION = "p1"
PREVIEW_PATH = "/__swerve/preview"
PREVIEW_COOKIE = "swerve_preview"
PREVIEW_HEADER = "swerve-preview"
BADGE_ID = "swerve-preview"
# A preview lasts at most a week; the edge allows this much clock difference with the CLI.
MAX_TTL = 7 * 86400
CLOCK_SKEW = 300
MAX_TOKEN = 2048
MAX_FORCED = 20
MAX_PAGE = 1024
# Flag and variant keys, as the rule schema allows them (swerve.schema.Name).
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
# A page to go back to: a path on this site (not "//host" nor "/\host"), printable ASCII.
_PAGE = re.compile(r"/(?![/\\])[!-~]*")


class Preview(NamedTuple):
    """A verified token: the flags it forces and when it expires (epoch seconds)."""

    forced: dict[str, str]
    expires: int


class Active(NamedTuple):
    """A preview on this request: what it forces in the live ruleset and what it cannot."""

    forced: dict[str, str]
    # "flag=variant (why)" for each pair the live ruleset does not have.
    ignored: tuple[str, ...]
    expires: int


class LinkAnswer(NamedTuple):
    """The Worker's answer to a preview link: a redirect, its cookies, and what it did."""

    location: str
    set_cookies: list[str]
    note: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode("ascii"), hashlib.sha256).digest())


def encode(forced: dict[str, str], expires: int, keys: Sequence[bytes]) -> str:
    """A token forcing ``forced`` until ``expires``, signed with ``keys[0]``; ValueError if not valid."""
    if not keys:
        raise ValueError("no preview key")
    if not forced or len(forced) > MAX_FORCED:
        raise ValueError(f"a preview forces 1 to {MAX_FORCED} flags")
    for flag, variant in forced.items():
        if not (_NAME.fullmatch(flag) and _NAME.fullmatch(variant)):
            raise ValueError(f"{flag}={variant}: flag and variant keys are a-z, 0-9, _ and -")
    body = json.dumps({"f": forced, "e": int(expires)}, separators=(",", ":"), sort_keys=True)
    prefix = f"{VERSION}.{_b64(body.encode('ascii'))}"
    token = f"{prefix}.{_sign(keys[0], prefix)}"
    if len(token) > MAX_TOKEN:
        raise ValueError(f"the token would be {len(token)} characters (at most {MAX_TOKEN}): force fewer flags")
    return token


def verify(token: str, keys: Sequence[bytes], now: float) -> tuple[Preview | None, str]:
    """The preview in ``token``, or None and why it is refused ("expired", "bad signature"...).

    Never raises. The signature is checked (in constant time) before anything in the
    payload is read, so only a key holder's content is ever decoded.
    """
    if not keys:
        return None, "previews are off (the Worker has no SWERVE_PREVIEW_KEY)"
    if type(token) is not str or len(token) > MAX_TOKEN or not token.isascii():
        return None, "malformed"
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not _BASE64URL.fullmatch(parts[1]):
        return None, "malformed"
    prefix = f"{parts[0]}.{parts[1]}"
    if not any(hmac.compare_digest(_sign(key, prefix), parts[2]) for key in keys):
        return None, "bad signature"
    try:
        body = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None, "malformed"
    if type(body) is not dict or set(body) != {"f", "e"}:
        return None, "malformed"
    forced, expires = body["f"], body["e"]
    if type(expires) is not int or type(forced) is not dict or not 0 < len(forced) <= MAX_FORCED:
        return None, "malformed"
    if not all(type(v) is str and _NAME.fullmatch(k) and _NAME.fullmatch(v) for k, v in forced.items()):
        return None, "malformed"
    if expires <= now:
        return None, "expired"
    if expires > now + MAX_TTL + CLOCK_SKEW:
        return None, "expires too far ahead"
    return Preview(forced, expires), ""


def in_ruleset(ruleset: "Ruleset", preview: Preview) -> Active:
    """The pairs of ``preview`` the live ruleset has, and the others with why they are ignored."""
    forced: dict[str, str] = {}
    ignored: list[str] = []
    for flag_key, variant in preview.forced.items():
        flag = ruleset.by_key.get(flag_key)
        if flag is None:
            ignored.append(f"{flag_key}={variant} (no such flag)")
        elif variant not in flag.variants:
            ignored.append(f"{flag_key}={variant} (no such variant)")
        else:
            forced[flag_key] = variant
    return Active(forced, tuple(ignored), preview.expires)


def from_cookies(keys: Sequence[bytes], cookie_header: str, now: float) -> tuple[Preview | None, str]:
    """The verified preview of a request's Cookie header, or None and why ('' without one)."""
    if PREVIEW_COOKIE not in cookie_header:
        return None, ""
    token = parse_cookies(cookie_header).get(PREVIEW_COOKIE)
    if not token:
        return None, ""
    return verify(token, keys, now)


def safe_page(value: str | None) -> str:
    """Where a link may send the browser: a path of this site, else ``/`` (no open redirect)."""
    if value and len(value) <= MAX_PAGE and "\\" not in value and _PAGE.fullmatch(value):
        return value
    return "/"


def answer_link(keys: Sequence[bytes], url: str, now: float) -> LinkAnswer:
    """The answer to ``/__swerve/preview?t=TOKEN&to=PAGE`` or ``?clear=1&to=PAGE``.

    Always a redirect to the page: a valid token sets the preview cookie for its remaining
    lifetime, ``clear`` deletes it, anything else sets nothing and ``note`` says why.
    """
    parts = urllib.parse.urlsplit(url)
    try:
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True, max_num_fields=8))
    except ValueError:  # more fields than a link has
        query = {}
    page = safe_page(query.get("to"))
    secure = not is_local_host(parts.hostname or "")
    if "clear" in query:
        return LinkAnswer(page, [set_cookie(PREVIEW_COOKIE, "", 0, secure)], "cleared")
    preview, why = verify(query.get("t", ""), keys, now)
    if preview is None:
        return LinkAnswer(page, [], f"ignored: {why}")
    remaining = max(1, int(preview.expires - now))
    return LinkAnswer(page, [set_cookie(PREVIEW_COOKIE, query["t"], remaining, secure)], "set")


def is_link(url: str) -> bool:
    """Whether a request URL is the preview link's path (cheap for every other URL)."""
    return PREVIEW_PATH in url and urllib.parse.urlsplit(url).path == PREVIEW_PATH


def clear_link(url: str) -> str:
    """The path that ends the preview and comes back to ``url``'s page."""
    parts = urllib.parse.urlsplit(url)
    page = parts.path or "/"
    if parts.query:
        page += "?" + parts.query
    return f"{PREVIEW_PATH}?clear=1&to={urllib.parse.quote(safe_page(page), safe='/')}"


def _utc(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def debug_item(active: Active | None, refused: str) -> str:
    """The preview's entry in the ``Swerve-Decisions`` debug header."""
    if active is None:
        return f"preview=off; cookie ignored: {refused}"
    text = f"preview=on; until {_utc(active.expires)}"
    return "".join([text, *(f"; ignored {item}" for item in active.ignored)])


_BADGE_STYLE = (
    "all:initial;position:fixed;z-index:2147483647;left:12px;bottom:12px;max-width:calc(100vw - 48px);"
    "padding:6px 10px;border-radius:6px;background:#1d1d1f;color:#fff;"
    "font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.35)"
)
_LINK_STYLE = "all:initial;color:#9cd2ff;text-decoration:underline;cursor:pointer;font:inherit"


# What html.escape does with quote=True (the html module costs a Worker ~25 ms to import).
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def _escape(text: str) -> str:
    for char, entity in _ESCAPES:
        text = text.replace(char, entity)
    return text


def badge(active: Active, url: str) -> str:
    """The badge's HTML: what the preview forces and a link that ends it; ASCII only, so it reads
    the same on a page of any charset (keys are ASCII by the token's format, and escaped)."""
    shown = ", ".join(f"{flag}={variant}" for flag, variant in active.forced.items()) or "nothing"
    text = f"Swerve preview: {shown}"
    if active.ignored:
        text += f" (ignored: {', '.join(item.split(' ', 1)[0] for item in active.ignored)})"
    return (
        f'<aside id="{BADGE_ID}" aria-label="Swerve preview" style="{_BADGE_STYLE}">'
        f"{_escape(text)} &middot; "
        f'<a href="{_escape(clear_link(url))}" style="{_LINK_STYLE}">End preview</a></aside>'
    )
