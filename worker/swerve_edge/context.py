"""Building the attribute dict a decision reads, from plain request facts.

Pure: the Worker entry extracts the facts from the JS request (headers, ``request.cf``,
the local time computed with ``Intl``) and the CLI's ``explain`` passes the same facts
from its options, so both decide on identical attributes.
"""

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

_BOT = re.compile(
    r"bot|crawl|spider|slurp|bingpreview|facebookexternalhit|embedly|quora link preview|"
    r"headlesschrome|lighthouse|pingdom|uptime|curl/|wget/|python-requests|httpclient|go-http-client",
    re.I,
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook|(android(?!.*mobile))", re.I)
_MOBILE = re.compile(r"mobi|iphone|ipod|windows phone|blackberry|opera mini", re.I)


# Visitors send few distinct User-Agents and the three searches cost more than the rest of
# the request's attributes together: classes are remembered per string, within bounds
# (a visitor choosing random strings gets them classified afresh, never more memory).
MAX_REMEMBERED = 512
MAX_REMEMBERED_LENGTH = 512
_classes: dict[str, str] = {}


def _classify(user_agent: str) -> str:
    if not user_agent or _BOT.search(user_agent):
        return "bot"
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def device_class(user_agent: str) -> str:
    """'bot', 'tablet', 'mobile' or 'desktop' from a User-Agent string ('bot' when empty)."""
    known = _classes.get(user_agent)
    if known is None:
        known = _classify(user_agent)
        if len(user_agent) <= MAX_REMEMBERED_LENGTH:
            if len(_classes) >= MAX_REMEMBERED:
                _classes.clear()
            _classes[user_agent] = known
    return known


def primary_language(accept_language: str) -> str:
    """The first language tag's primary subtag, lower case ('' when none)."""
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    if not first or first == "*":
        return ""
    return first.split("-", 1)[0].lower()


def referrer_host(referer: str) -> str:
    """Host of a Referer URL ('' when absent or unparsable)."""
    try:
        return (urlsplit(referer).hostname or "") if referer else ""
    except ValueError:
        return ""


def request_attributes(
    url: str,
    method: str,
    headers: Mapping[str, str],
    cf: Mapping[str, object],
    local_hour: int | None,
    local_weekday: int | None,
) -> dict[str, object]:
    """The ``request.*`` attributes. ``headers`` keys are lower case."""
    parts = urlsplit(url)
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, value)
    device = device_class(headers.get("user-agent", ""))
    attributes: dict[str, object] = {
        "url": url,
        "host": parts.hostname or "",
        "path": parts.path or "/",
        "query": query,
        "method": method.upper(),
        "language": primary_language(headers.get("accept-language", "")),
        "referrer_host": referrer_host(headers.get("referer", "")),
        "device": device,
        "bot": device == "bot",
    }
    for key in ("country", "region", "timezone"):
        value = cf.get(key)
        if isinstance(value, str) and value:
            attributes[key] = value
    if local_hour is not None:
        attributes["hour"] = local_hour
    if local_weekday is not None:
        attributes["weekday"] = local_weekday
    return attributes


def build_attributes(
    request: dict[str, object],
    anonymous_id: str | None,
    user_id: str | None,
    user_attributes: Mapping[str, object],
    behavior: dict[str, object],
) -> dict[str, dict[str, object]]:
    """Assemble the full namespace: ``request``, ``user`` and ``behavior``."""
    user: dict[str, object] = {k: v for k, v in user_attributes.items() if k not in ("id", "anonymous_id")}
    if anonymous_id:
        user["anonymous_id"] = anonymous_id
    if user_id:
        user["id"] = user_id
    return {"request": request, "user": user, "behavior": behavior}
