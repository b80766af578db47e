"""What Swerve does with one request, decided in plain Python.

The Worker entry extracts ``Facts`` from the JS request and carries out the ``Plan``:
which origin path to fetch, which variants' HTML operations to apply, the bootstrap,
the cookies and the debug header. Everything here runs under CPython in tests.

A visitor holding a valid preview (``preview``) gets its forced variants and records no
outcome at all: no exposure or conversion in the counts or in their summary, so what
they were shown during the preview never changes what they get after it.
"""

import json
import urllib.parse
from collections.abc import Callable
from typing import NamedTuple

from . import cookie, preview
from .config import Config
from .context import build_attributes, request_attributes
from .decide import decide
from .http import (
    ANONYMOUS_COOKIE,
    SUMMARY_COOKIE,
    bootstrap_script,
    conditional_headers,
    is_local_host,
    is_page_navigation,
    parse_cookies,
    set_cookie,
    token_matches,
    valid_anonymous_id,
)
from .outcomes import Count, record_decisions, record_goals
from .ruleset import Ruleset
from .summary import Summary, fresh, record_event, record_pageview

MAX_USER_ATTRIBUTES = 2048
BOT_DEBUG = "visitor=bot; the User-Agent is a bot's: rules not reading request.bot are skipped and no cookie is set"
# JSON from visitors holds flat objects: any more brackets than this is refused before parsing,
# which bounds the parser's recursion (a deeply nested value would raise RecursionError).
MAX_JSON_BRACKETS = 32


class Facts(NamedTuple):
    """What the entry reads off the request. ``headers`` keys are lower case."""

    url: str
    method: str
    headers: dict[str, str]
    cf: dict[str, object]
    local_hour: int | None
    local_weekday: int | None
    now: int


class Plan(NamedTuple):
    """What to do with the request."""

    rewrites: list[tuple[str, str]]
    serve_path: str | None
    bootstrap: str | None
    set_cookies: list[str]
    debug_header: str | None
    # Outcome counts that hold only if the response carries ``set_cookies`` (see outcomes).
    counts: list[Count]
    # (flag, variant, context) of this request's randomized decisions: request/error counts.
    exposed: list[tuple[str, str, str]]
    # Conditional request headers not to forward: the origin's validators do not fit a variant.
    drop_headers: tuple[str, ...] = ()
    # A preview is on: nothing of this request is counted (selector health included).
    preview: bool = False
    # The preview badge's HTML, to put at the start of <body>.
    badge: str | None = None


class Visitor(NamedTuple):
    """Identity and summary of the visitor behind a request."""

    anonymous_id: str
    user_id: str | None
    user_attributes: dict[str, object]
    summary: Summary
    request: dict[str, object]
    may_write: bool
    # Outcomes are counted only for a visitor whose summary Swerve can trust and keep.
    counted: bool


_NOT_JSON = object()


def _visitor_json(text: str) -> object:
    """JSON a visitor sent, or ``_NOT_JSON`` when it is not JSON or nests deeper than any valid value."""
    if text.count("[") + text.count("{") > MAX_JSON_BRACKETS:
        return _NOT_JSON
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _user_attributes(raw: str | None) -> dict[str, object]:
    if not raw or len(raw) > MAX_USER_ATTRIBUTES:
        return {}
    value = _visitor_json(urllib.parse.unquote(raw))
    if type(value) is not dict:
        return {}
    return {k: v for k, v in value.items() if type(k) is str and type(v) in (str, int, float, bool)}


def identify(config: Config, facts: Facts, new_id: Callable[[], str]) -> Visitor:
    """Who is asking: cookies, consent, identity, the trusted summary and the request attributes."""
    cookies = parse_cookies(facts.headers.get("cookie", ""))
    anonymous = cookies.get(ANONYMOUS_COOKIE, "")
    if not valid_anonymous_id(anonymous):
        anonymous = new_id()
    user_id = cookies.get(config.user_id_cookie) if config.user_id_cookie else None
    if not user_id and config.user_id_header:
        user_id = facts.headers.get(config.user_id_header) or None
    attrs = _user_attributes(cookies.get(config.user_attributes_cookie)) if config.user_attributes_cookie else {}
    summary = None
    if config.cookie_keys and SUMMARY_COOKIE in cookies:
        summary = cookie.decode(cookies[SUMMARY_COOKIE], config.cookie_keys)
    request = request_attributes(
        facts.url, facts.method, facts.headers, facts.cf, facts.local_hour, facts.local_weekday
    )
    consent = not config.consent_cookie or config.consent_cookie in cookies
    may_write = consent and request["bot"] is not True
    # A summary cookie that fails verification is forged or tampered: count nothing for it.
    tampered = SUMMARY_COOKIE in cookies and summary is None
    return Visitor(
        anonymous_id=anonymous,
        user_id=user_id,
        user_attributes=attrs,
        summary=summary or fresh(facts.now),
        request=request,
        may_write=may_write,
        counted=may_write and bool(config.cookie_keys) and not tampered,
    )


def _cookies(config: Config, visitor: Visitor) -> list[str]:
    if not visitor.may_write:
        return []
    secure = not is_local_host(str(visitor.request.get("host", "")))
    out = [set_cookie(ANONYMOUS_COOKIE, visitor.anonymous_id, config.cookie_max_age, secure)]
    if config.cookie_keys:
        value = cookie.encode(visitor.summary, config.cookie_keys)
        out.append(set_cookie(SUMMARY_COOKIE, value, config.cookie_max_age, secure))
    return out


def _preview(ruleset: Ruleset, config: Config, facts: Facts) -> tuple[preview.Active | None, str]:
    """The request's preview (flags checked against this ruleset), or None and why its cookie
    was ignored ('' without one)."""
    verified, refused = preview.from_cookies(config.preview_keys, facts.headers.get("cookie", ""), facts.now)
    return (preview.in_ruleset(ruleset, verified), "") if verified else (None, refused)


def plan_request(ruleset: Ruleset, config: Config, facts: Facts, new_id: Callable[[], str]) -> Plan:
    """Decide every flag for a page request and everything that follows from the decisions."""
    visitor = identify(config, facts, new_id)
    summary = visitor.summary
    request = visitor.request
    previewing, refused = _preview(ruleset, config, facts)
    navigation = is_page_navigation(facts.method, str(request["path"]), facts.headers)
    # Only a page navigation is a page view and writes the summary: a subresource (an image,
    # a script, a favicon, a fetch) is requested while the next page may already be on its
    # way, and its cookie, older than that page's, would overwrite what the page recorded.
    writes = visitor.may_write and navigation
    # Nothing a previewing visitor does is an outcome, and nothing they see is an exposure.
    recording = writes and previewing is None
    counts: list[Count] = []
    if writes:
        record_pageview(summary, facts.now, config.idle_timeout)
        query = request["query"]
        fired = []
        for event in ruleset.events:
            if event.matches(str(request["path"]), query, str(request["referrer_host"])):
                record_event(summary, event.name)
                fired.append(event.name)
        counts = record_goals(ruleset, summary, fired) if recording else []
    attributes = build_attributes(
        request, visitor.anonymous_id, visitor.user_id, visitor.user_attributes, summary.attributes(facts.now)
    )
    forced = previewing.forced if previewing is not None else None
    decisions = decide(ruleset, attributes, facts.now, summary.exposures, contexts=summary.contexts, forced=forced)
    rewrites: list[tuple[str, str]] = []
    serve_path = None
    # Only a page may be served from another path: an asset in the flag's scope stays itself.
    client: dict[str, object] = {}
    for decision in decisions:
        flag = ruleset.by_key[decision.flag]
        variant = flag.variants[decision.variant]
        if variant.ops or variant.dropped:
            rewrites.append((decision.flag, decision.variant))
        if serve_path is None and variant.serve_path and navigation:
            serve_path = variant.serve_path
        if flag.client:
            client[decision.flag] = decision.value
    outcomes = record_decisions(summary, decisions, visitor.counted) if recording else None
    debug = None
    if token_matches(facts.headers.get("swerve-debug", ""), config.debug_token):
        debug = ", ".join(f"{d.flag}={d.variant}; {d.describe()}" for d in decisions) or "none"
        if previewing is not None or refused:
            debug = f"{preview.debug_item(previewing, refused)}, {debug}"
        if request["bot"] is True:
            # A crawler (or curl, or headless Chrome) sees defaults: say why, first.
            debug = f"{BOT_DEBUG}, {debug}"
    return Plan(
        rewrites=rewrites,
        serve_path=serve_path,
        bootstrap=bootstrap_script(client) if client else None,
        set_cookies=_cookies(config, visitor) if navigation else [],
        debug_header=debug,
        counts=counts + outcomes.counts if outcomes and visitor.counted else [],
        # A variant's requests and errors are its pages': an asset in the flag's scope is not a
        # sign of the variant.
        exposed=outcomes.exposed if outcomes else [],
        drop_headers=conditional_headers(facts.method, str(request["path"]), facts.headers),
        preview=previewing is not None,
        badge=preview.badge(previewing, facts.url) if previewing is not None and config.preview_badge else None,
    )


class EventResult(NamedTuple):
    """The answer to a client event post, and the conversions it counts."""

    status: int
    reason: str
    set_cookies: list[str]
    counts: tuple[Count, ...] = ()


MAX_EVENT_BODY = 1024


def plan_client_event(
    ruleset: Ruleset, config: Config, facts: Facts, body: str, new_id: Callable[[], str]
) -> EventResult:
    """Count a client-posted event the rules declare with ``client: true``."""
    if len(body) > MAX_EVENT_BODY:
        return EventResult(413, "body too large", [])
    payload = _visitor_json(body)
    if payload is _NOT_JSON:
        return EventResult(400, "body is not JSON", [])
    name = payload.get("event") if type(payload) is dict else None
    if type(name) is not str:
        return EventResult(400, 'expected {"event": "<name>"}', [])
    declared = {e.name: e for e in ruleset.events}
    if name not in declared or not declared[name].client:
        return EventResult(422, f"event {name[:64]!r} is not declared for clients", [])
    visitor = identify(config, facts, new_id)
    if not visitor.may_write:
        return EventResult(204, "not counted", [])
    record_event(visitor.summary, name)
    if preview.from_cookies(config.preview_keys, facts.headers.get("cookie", ""), facts.now)[0] is not None:
        return EventResult(204, "not counted: previewing", _cookies(config, visitor))
    counts = record_goals(ruleset, visitor.summary, [name])
    return EventResult(204, "counted", _cookies(config, visitor), tuple(counts) if visitor.counted else ())
