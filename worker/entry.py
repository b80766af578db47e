"""The Worker entry: the only module that touches ``js`` and ``pyodide``.

Per request: read the ruleset (cached per isolate), plan in plain Python
(``swerve_edge.plan``), fetch the origin, and stream HTML through HTMLRewriter with the
chosen variants' operations. Any failure before the first byte serves the origin's
response unchanged; once the page streams, a handler never raises: an operation that
cannot apply is skipped and counted (``swerve_edge.skips``). JS objects are created during
requests, never at import, so the deploy-time snapshot holds none. Handler proxies are
built once per ruleset version (for pages declared UTF-8, and in ASCII for every other
charset, see ``swerve_edge.charset``) and reused, and so are the bootstrap and preview
badge handlers, which keep their per-request state on the one JS object each request gives
them. Preview links (``swerve_edge.preview``) are answered here, without the origin.

Entry style: a top-level ``on_fetch``. It runs on the pinned local runtime and, with
the flags in wrangler.toml, on the current production runtime (see docs/deploy.md).
"""

import asyncio
import os
import time

from js import URL, Headers, HTMLRewriter, Intl, Object, Request, Response, console, fetch
from pyodide.ffi import create_proxy, to_js

from swerve_edge import html_ops, preview
from swerve_edge.charset import header_is_utf8
from swerve_edge.config import Config, load_config
from swerve_edge.http import (
    SHARED_CACHE_HEADERS,
    VALIDATORS,
    personalized,
    private_cache_control,
    too_large_to_rewrite,
)
from swerve_edge.loader import RulesetCache
from swerve_edge.operations import Dropped
from swerve_edge.outcomes import Count, error_counts, health_checked, page_counts, skip_counts
from swerve_edge.plan import Facts, Plan, plan_client_event, plan_request
from swerve_edge.ruleset import Ruleset
from swerve_edge.skips import Skips
from swerve_edge.tally import Tally, upsert_statements

EVENT_PATH = "/__swerve/event"

_cache: RulesetCache | None = None
# Per ruleset version: handler proxies for pages declared UTF-8 ("utf8") and all others
# ("ascii"), and the operations this Worker drops; per isolate: the {html: true} options and
# the bootstrap and preview badge handlers.
_handlers: dict = {
    "ruleset": None,
    "utf8": {},
    "ascii": {},
    "dropped": {},
    "rewritten": 0,
    "as_html": None,
    "bootstrap": None,
}
# Per isolate: the config read from env, and the JS options object for origin fetches.
_isolate: dict = {"config": None, "fetch_options": None}
_clocks: dict[str, object] = {}
# (time zone, 15-minute slot of UTC) -> (local hour, weekday); bounded (visitors choose zones).
MAX_LOCAL_TIMES = 256
_local_times: dict[tuple[str, int], tuple[int | None, int | None]] = {}
_logged: set[str] = set()
_tally: Tally | None = None
# Pages still streaming: their operations' keys, by page number, until the document ends.
# Bounded: a page whose stream never ends loses its health count, never memory.
MAX_OPEN_PAGES = 512
_pages: dict[int, list[tuple[str, str, int]]] = {}
_pages_seen = [0]
# The proxies handed to waitUntil for the last flush and the last scheduled flush: each is
# destroyed when the next of its kind starts (by then it has settled).
_flush_proxy: list = []
_later_proxy: list = []


def _log_once(kind: str, message: str) -> None:
    if kind not in _logged:
        _logged.add(kind)
        console.error(message)


# Operations skipped instead of breaking a page, counted per (flag, variant, op index).
_skips = Skips(lambda message: console.error(message))


def _js(value: dict) -> object:
    return to_js(value, dict_converter=Object.fromEntries)


def _text(value: object) -> str:
    # JS null/undefined arrive as None (or jsnull on newer Pyodide): anything not a str is absent.
    return value if isinstance(value, str) else ""


def _env(env: object) -> Config:
    # An isolate's vars and secrets are fixed for its lifetime: read them once.
    if _isolate["config"] is None:
        config = load_config(lambda name: _text(getattr(env, name, None)))
        if not config.cookie_keys:
            console.error(
                "swerve: the secret SWERVE_COOKIE_KEYS is not set, so no behavior summary is kept: "
                "set it with `npx wrangler secret put SWERVE_COOKIE_KEYS`"
            )
        _isolate["config"] = config
    return _isolate["config"]


def _local_time(timezone: str, now: float) -> tuple[int | None, int | None]:
    if not timezone:
        return None, None
    # Every zone's offset is a multiple of 15 minutes, so a zone's hour and weekday hold for a
    # whole 15-minute stretch of UTC: ask Intl once per zone and stretch, not per request.
    slot = (timezone, int(now // 900))
    known = _local_times.get(slot)
    if known is not None:
        return known
    try:
        clock = _clocks.get(timezone)
        if clock is None:
            options = {"timeZone": timezone, "hour": "numeric", "hourCycle": "h23", "weekday": "short"}
            clock = Intl.DateTimeFormat.new("en-US", _js(options))
            _clocks[timezone] = clock
        parts = {p.type: p.value for p in clock.formatToParts(slot[1] * 900_000)}
        weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun").index(parts["weekday"]) + 1
        known = int(parts["hour"]), weekday
    except Exception:
        known = None, None
    if len(_local_times) >= MAX_LOCAL_TIMES:
        _local_times.clear()
    _local_times[slot] = known
    return known


def _facts(request: object) -> Facts:
    # One crossing for all the headers (names come lower case from a Headers iterator).
    headers = Object.fromEntries(request.headers).to_py()
    cf = {}
    raw_cf = getattr(request, "cf", None)
    if raw_cf is not None:
        for key in ("country", "region", "timezone"):
            value = _text(getattr(raw_cf, key, None))
            if value:
                cf[key] = value
    now = time.time()
    hour, weekday = _local_time(cf.get("timezone", ""), now)
    return Facts(request.url, request.method, headers, cf, hour, weekday, int(now))


def _new_id() -> str:
    # 128 random bits in hex, as uuid4().hex but without importing uuid (first-request time).
    return os.urandom(16).hex()


class _OpHandler:
    """One variant operation for one kind of charset; shared by every request of a ruleset version.

    It never raises into HTMLRewriter: that would end the page where it stands.
    """

    __slots__ = ("flag", "how", "index", "variant")

    def __init__(self, flag: str, variant: str, index: int, how: html_ops.Applied) -> None:
        self.flag = flag
        self.variant = variant
        self.index = index
        self.how = how

    def element(self, element: object, page: object = None) -> None:
        try:
            html_ops.apply(element, self.how, _handlers["as_html"])
        except html_ops.Skip as skip:
            self.skipped(page, skip.kind, skip.reason)
        except Exception as exc:
            self.skipped(page, f"failed:{type(exc).__name__}", repr(exc)[:300])

    def skipped(self, page: object, kind: str, reason: str) -> None:
        # A previewing visitor's page counts nothing (its handler object says so).
        if page is None or not page.preview:
            _skips.add(self.flag, self.variant, self.index, kind, reason)

    def seen(self, this: object, element: object) -> None:
        """As ``element``, marking the page's own handler object: its selector matched here."""
        this.hit = True
        self.element(element, this)


def _page_end(this: object, _end: object) -> None:
    # ``this`` is the page's document handler: which of its operations matched nothing.
    try:
        keys = _pages.pop(this.page, None)
        if keys is not None:
            _count(page_counts(keys, [bool(op.hit) for op in this.ops]))
    except Exception as exc:
        _log_once(f"health:{type(exc).__name__}", f"swerve: counting selector health failed: {exc!r}")


def _inject_bootstrap(this: object, element: object) -> None:
    # ``this`` is the request's handler object: lol-html calls it for every <head> start tag,
    # and a page may have more than one; the bootstrap goes into the first.
    if this.done:
        return
    this.done = True
    element.prepend(this.script, _handlers["as_html"])


def _inject_badge(this: object, element: object) -> None:
    # ``this`` is the request's badge handler object: the badge goes into the first <body>.
    if this.done:
        return
    this.done = True
    element.prepend(this.badge, _handlers["as_html"])


def _seen_proxy(op_handler: _OpHandler) -> object:
    return create_proxy(op_handler.seen, capture_this=True)


def _handlers_for(ruleset: Ruleset) -> dict:
    if _handlers["ruleset"] is not ruleset:
        if _handlers["as_html"] is None:
            _handlers["as_html"] = _js({"html": True})
            _handlers["bootstrap"] = create_proxy(_inject_bootstrap, capture_this=True)
            _handlers["page_end"] = create_proxy(_page_end, capture_this=True)
            _handlers["badge"] = create_proxy(_inject_badge, capture_this=True)
        # Proxies of the previous version are left to the GC: a response still streaming may use them.
        utf8: dict = {}
        ascii_only: dict = {}
        dropped: dict = {}
        # The runtime is the last word on selectors (css_selectors.py mirrors it): ask it once per version.
        probe = HTMLRewriter.new()
        for flag in ruleset.flags:
            for variant in flag.variants.values():
                key = (flag.key, variant.key)
                refused = list(variant.dropped)
                for op in variant.ops:
                    written = html_ops.applied(op, ascii_only=False)
                    handler = create_proxy(_OpHandler(flag.key, variant.key, op.index, written))
                    try:
                        probe.on(op.selector, handler)
                    except Exception as exc:
                        handler.destroy()
                        refused.append(Dropped(op.index, "selector", f"HTMLRewriter refused {op.selector!r}: {exc}"))
                        continue
                    in_ascii = html_ops.applied(op, ascii_only=True)
                    both = [(written, handler)] if in_ascii == written else [(written, handler), (in_ascii, None)]
                    for i, (how, proxy) in enumerate(both):
                        op_handler = _OpHandler(flag.key, variant.key, op.index, how)
                        entry = (op.selector, proxy or create_proxy(op_handler), _seen_proxy(op_handler), op.index)
                        if i == 0:
                            utf8.setdefault(key, []).append(entry)
                        if i == len(both) - 1:
                            ascii_only.setdefault(key, []).append(entry)
                if refused:
                    dropped[key] = refused
        _handlers.update(ruleset=ruleset, utf8=utf8, ascii=ascii_only, dropped=dropped, rewritten=0)
    return _handlers


def _origin_request(request: object, config: Config, serve_path: str | None, drop: tuple[str, ...]) -> object:
    url = URL.new(request.url)
    if config.origin_url:
        origin = URL.new(config.origin_url)
        url.protocol = origin.protocol
        url.host = origin.host
    if serve_path:
        url.pathname = serve_path
    forwarded = Request.new(url.toString(), request)
    for name in drop:
        forwarded.headers.delete(name)
    return forwarded


async def _fetch(request: object, config: Config, serve_path: str | None, drop: tuple[str, ...]) -> object:
    if _isolate["fetch_options"] is None:
        _isolate["fetch_options"] = _js({"redirect": "manual"})
    return await fetch(_origin_request(request, config, serve_path, drop), _isolate["fetch_options"])


async def _fetch_origin(request: object, config: Config, plan: Plan | None) -> object:
    if plan is None:
        return await _fetch(request, config, None, ())
    response = await _fetch(request, config, plan.serve_path, plan.drop_headers)
    if (
        plan.serve_path
        and 200 <= response.status < 300
        and "text/html" not in _text(response.headers.get("content-type")).lower()
    ):
        # A variant's path stands in for pages only: when it is not one, the visitor gets what they
        # asked for. (Its errors stay as they are: guardrails count them per variant.)
        _log_once(
            f"serve-path:{plan.serve_path}",
            f"swerve: the origin answered serve_path {plan.serve_path} with "
            f"{_text(response.headers.get('content-type'))!r}, not an HTML page: serving the requested path",
        )
        response = await _fetch(request, config, None, plan.drop_headers)
    return response


def _count_dropped(plan: Plan, dropped: dict) -> None:
    for key in plan.rewrites:
        for skipped in dropped.get(key, ()):
            _skips.add(key[0], key[1], skipped.index, skipped.kind, skipped.reason)


def _rewriter(facts: Facts, origin: dict[str, str], plan: Plan, handlers: dict) -> object | None:
    """The HTMLRewriter for this page, or None when the page goes out as the origin sent it."""
    if facts.method != "GET" or facts.headers.get("range"):
        return None
    if too_large_to_rewrite(origin.get("content-length", ""), origin.get("content-encoding", "")):
        _log_once(
            "too-large",
            "swerve: a page over 3 MiB is served unrewritten (HTMLRewriter could stop mid-stream on it; "
            "docs/limits.md)",
        )
        return None
    if plan.rewrites and not plan.preview:
        _count_dropped(plan, handlers["dropped"])
    chosen = handlers["utf8"] if header_is_utf8(origin.get("content-type", "")) else handlers["ascii"]
    rewriter = None
    ops: list = []
    keys: list[tuple[str, str, int]] = []
    checked = False
    for key in plan.rewrites:
        for selector, handler, seen, index in chosen.get(key, ()):
            if rewriter is None:
                rewriter = HTMLRewriter.new()
                if not plan.preview:
                    handlers["rewritten"] += 1
                    checked = health_checked(handlers["rewritten"])
            if not checked and not plan.preview:
                # Not a page sampled for selector health: the version's own handler, no new object.
                rewriter.on(selector, handler)
                continue
            # The page's own handler object records whether the selector matched (selector health).
            op = _js({"element": seen, "hit": False, "preview": plan.preview})
            rewriter.on(selector, op)
            ops.append(op)
            keys.append((key[0], key[1], index))
    if ops and checked:
        _pages_seen[0] += 1
        page = _pages_seen[0]
        while len(_pages) >= MAX_OPEN_PAGES:
            del _pages[next(iter(_pages))]
        _pages[page] = keys
        rewriter.onDocument(_js({"end": handlers["page_end"], "ops": ops, "page": page}))
    if plan.bootstrap:
        if rewriter is None:
            rewriter = HTMLRewriter.new()
        rewriter.on("head", _js({"element": handlers["bootstrap"], "script": plan.bootstrap, "done": False}))
    if plan.badge:
        if rewriter is None:
            rewriter = HTMLRewriter.new()
        rewriter.on("body", _js({"element": handlers["badge"], "badge": plan.badge, "done": False}))
    return rewriter


def _respond(facts: Facts, response: object, plan: Plan, handlers: dict) -> tuple[object, bool]:
    """The visitor's response, and whether it carries the plan's cookies.

    Only HTML pages are touched (and 304s standing for them): their caching headers become
    private, a 200 GET is rewritten, and every page a GET gets carries the cookies (an error
    page is a page seen too: a variant whose origin page fails is measured by who saw it).
    All else passes through as it came.
    """
    status = response.status
    # The origin's headers in one crossing (names lower case; only read here, never sent on).
    origin = Object.fromEntries(response.headers).to_py()
    content_type = origin.get("content-type", "")
    if not personalized(facts.method, status, content_type, facts.headers.get("accept", "")):
        return response, False
    rewriter = _rewriter(facts, origin, plan, handlers) if status == 200 else None
    body = rewriter.transform(response).body if rewriter is not None else response.body
    headers = Headers.new(response.headers)
    # The page carries this visitor's variants and cookies: no shared cache may store it, and
    # the origin's validators must not revalidate it (docs/deploy.md, Caching).
    headers.set("cache-control", private_cache_control(origin.get("cache-control", "")))
    headers.append("vary", "Cookie")
    for name in (*VALIDATORS, *SHARED_CACHE_HEADERS):
        if name in origin:
            headers.delete(name)
    if rewriter is not None and "content-length" in origin:
        headers.delete("content-length")
    cookies = facts.method == "GET" and status not in (206, 304)
    if cookies:
        for value in plan.set_cookies:
            headers.append("set-cookie", value)
    if plan.debug_header:
        headers.set("swerve-decisions", plan.debug_header)
    init = {"status": status, "statusText": response.statusText, "headers": headers}
    return Response.new(body, _js(init)), cookies


def _stats_db(env: object) -> object | None:
    db = getattr(env, "SWERVE_STATS", None)
    if db is None:
        _log_once("stats-unbound", "swerve: no SWERVE_STATS binding, so outcomes are not recorded (docs/outcomes.md)")
    return db


async def _flush(db: object, tally: Tally, taken: dict) -> None:
    ok = False
    try:
        statements = [db.prepare(sql).bind(*params) for sql, params in upsert_statements(taken)]
        await db.batch(to_js(statements))
        ok = True
        _logged.discard("stats-failed")
    except Exception as exc:
        _log_once("stats-failed", f"swerve: writing outcome counts to D1 failed, kept for the next flush: {exc!r}")
    finally:
        tally.done(taken, ok)


async def _flush_later(db: object, tally: Tally, wait: float) -> None:
    try:
        await asyncio.sleep(wait)
        if tally.pending and not tally.flushing:
            await _flush(db, tally, tally.take(time.time()))
    finally:
        tally.scheduled = False


def _wait_until(ctx: object, previous: list, coroutine: object) -> None:
    # The previous proxy of this kind has settled (flushes of a kind never overlap): free it.
    while previous:
        previous.pop().destroy()
    proxy = create_proxy(coroutine)
    previous.append(proxy)
    ctx.waitUntil(proxy)


def _tally_at(now: float) -> Tally:
    global _tally
    if _tally is None:
        config = _isolate["config"] or load_config(lambda _name: "")
        _tally = Tally(config.stats_flush, config.stats_max_keys, now)
    return _tally


def _count(counts: list[Count]) -> None:
    """Counts known after the response went out (selector health): flushed with the next request's."""
    now = time.time()
    _tally_at(now).add(counts, now)


def _record(env: object, ctx: object, counts: list[Count]) -> None:
    """Add a response's counts (and the isolate's skipped operations) to the tally; flush when due.

    Never raises and never delays the response: D1 is written in ``ctx.waitUntil``.
    """
    if not counts and not _skips.counts and (_tally is None or not _tally.pending):
        return
    try:
        db = _stats_db(env)
        if db is None:
            return
        now = time.time()
        tally = _tally_at(now)
        tally.add(counts, now)
        if _skips.counts:
            tally.add_totals(skip_counts(_skips.take()), now)
        if tally.due(now):
            _wait_until(ctx, _flush_proxy, _flush(db, tally, tally.take(now)))
        else:
            wait = tally.wait(now)
            if wait is not None:
                tally.scheduled = True
                _wait_until(ctx, _later_proxy, _flush_later(db, tally, wait))
    except Exception as exc:
        _log_once(f"record:{type(exc).__name__}", f"swerve: recording outcomes failed: {exc!r}")


async def _ruleset(env: object, config: Config) -> Ruleset | None:
    global _cache
    if _cache is None:
        _cache = RulesetCache(config.pointer_ttl, lambda message: console.error(message))
    kv = env.SWERVE_RULES

    async def kv_get(key: str) -> str | None:
        value = await kv.get(key)
        return value if isinstance(value, str) else None

    return await _cache.get(kv_get, time.monotonic())


async def _client_event(request: object, ruleset: Ruleset, config: Config) -> tuple[object, object]:
    body = await request.text()
    result = plan_client_event(ruleset, config, _facts(request), body, _new_id)
    return result, _event_response(result)


def _preview_link(url: str, config: Config) -> object:
    """The redirect a preview link answers with (the token is never logged)."""
    answer = preview.answer_link(config.preview_keys, url, time.time())
    if not config.preview_keys:
        _log_once("preview-off", "swerve: a preview link was opened, but SWERVE_PREVIEW_KEY is not set")
    headers = Headers.new()
    headers.set("location", answer.location)
    headers.set("cache-control", "no-store")
    # The token stays in the link: the page's own address never holds it (nor its Referer).
    headers.set("referrer-policy", "no-referrer")
    headers.set(preview.PREVIEW_HEADER, answer.note)
    for value in answer.set_cookies:
        headers.append("set-cookie", value)
    return Response.new(None, _js({"status": 302, "headers": headers}))


def _event_response(result: object) -> object:
    headers = Headers.new()
    for value in result.set_cookies:
        headers.append("set-cookie", value)
    if result.status == 204:
        return Response.new(None, _js({"status": 204, "headers": headers}))
    headers.set("content-type", "text/plain; charset=utf-8")
    return Response.new(result.reason, _js({"status": result.status, "headers": headers}))


async def on_fetch(request: object, env: object, ctx: object) -> object:
    """Handle one request; whatever fails inside Swerve, the visitor gets the origin's response."""
    config = None
    plan = None
    facts = None
    handlers: dict = {}
    try:
        config = _env(env)
        ruleset = await _ruleset(env, config)
        if ruleset is not None:
            if request.method == "POST" and URL.new(request.url).pathname == EVENT_PATH:
                result, answer = await _client_event(request, ruleset, config)
                if result.counts:
                    _record(env, ctx, list(result.counts))
                return answer
            if request.method in ("GET", "HEAD"):
                facts = _facts(request)
                if preview.is_link(facts.url):
                    return _preview_link(facts.url, config)
                plan = plan_request(ruleset, config, facts, _new_id)
                handlers = _handlers_for(ruleset)
    except Exception as exc:
        _log_once(f"plan:{type(exc).__name__}", f"swerve: planning failed, serving the origin unchanged: {exc!r}")
        plan = None
    if config is None:
        config = load_config(lambda _name: "")
    response = await _fetch_origin(request, config, plan)
    if plan is None:
        return response
    try:
        answer, cookies = _respond(facts, response, plan, handlers)
        # The counts that rely on the summary cookie hold only if the answer carries it.
        carried = plan.counts if cookies else []
        _record(env, ctx, carried + error_counts(plan.exposed, response.status))
        return answer
    except Exception as exc:
        _log_once(f"respond:{type(exc).__name__}", f"swerve: rewrite failed, serving the origin unchanged: {exc!r}")
        return response
