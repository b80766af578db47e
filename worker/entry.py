"""The Worker entry: the only module that touches ``js`` and ``pyodide``.

Per request: read the ruleset (cached per isolate), plan in plain Python
(``swerve_edge.plan``), fetch the origin, and stream HTML through HTMLRewriter with the
chosen variants' operations. Any failure inside Swerve serves the origin's response
unchanged. JS objects are created during requests, never at import, so the deploy-time
snapshot holds none; HTMLRewriter handler proxies are built once per ruleset version
and reused, and the per-request bootstrap handler destroys itself after its one call.

Entry style: a top-level ``on_fetch``. It runs on the pinned local runtime and, with
the flags in wrangler.toml, on the current production runtime (see docs/deploy.md).
"""

import time
import uuid

from js import URL, Headers, HTMLRewriter, Intl, Object, Request, Response, console, fetch
from pyodide.ffi import create_once_callable, create_proxy, to_js

from swerve_edge import html_ops
from swerve_edge.config import Config, load_config
from swerve_edge.http import private_cache_control
from swerve_edge.loader import RulesetCache
from swerve_edge.outcomes import Count, error_counts
from swerve_edge.plan import Facts, Plan, plan_client_event, plan_request
from swerve_edge.ruleset import Ruleset
from swerve_edge.tally import Tally, upsert_statements

EVENT_PATH = "/__swerve/event"

_cache: RulesetCache | None = None
_handlers: dict = {"ruleset": None, "by_variant": {}, "as_html": None}
# Per isolate: the config read from env, and the JS options object for origin fetches.
_isolate: dict = {"config": None, "fetch_options": None}
_clocks: dict[str, object] = {}
_logged: set[str] = set()
_tally: Tally | None = None
# The proxy handed to waitUntil for the last flush: destroyed when the next one starts
# (flushes never overlap, so by then it has settled).
_flush_proxy: list = []


def _log_once(kind: str, message: str) -> None:
    if kind not in _logged:
        _logged.add(kind)
        console.error(message)


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


def _local_time(timezone: str, now_ms: float) -> tuple[int | None, int | None]:
    if not timezone:
        return None, None
    try:
        clock = _clocks.get(timezone)
        if clock is None:
            options = {"timeZone": timezone, "hour": "numeric", "hourCycle": "h23", "weekday": "short"}
            clock = Intl.DateTimeFormat.new("en-US", _js(options))
            _clocks[timezone] = clock
        parts = {p.type: p.value for p in clock.formatToParts(now_ms)}
        weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun").index(parts["weekday"]) + 1
        return int(parts["hour"]), weekday
    except Exception:
        return None, None


def _facts(request: object) -> Facts:
    headers = {k.lower(): v for k, v in request.headers.entries()}
    cf = {}
    raw_cf = getattr(request, "cf", None)
    if raw_cf is not None:
        for key in ("country", "region", "timezone"):
            value = _text(getattr(raw_cf, key, None))
            if value:
                cf[key] = value
    now = time.time()
    hour, weekday = _local_time(cf.get("timezone", ""), now * 1000)
    return Facts(request.url, request.method, headers, cf, hour, weekday, int(now))


def _new_id() -> str:
    return uuid.uuid4().hex


class _OpHandler:
    """One variant operation; shared by every request of a ruleset version."""

    def __init__(self, op: list) -> None:
        self.op = op

    def element(self, element: object) -> None:
        html_ops.apply(element, self.op, _handlers["as_html"])


def _handlers_for(ruleset: Ruleset) -> dict:
    if _handlers["ruleset"] is not ruleset:
        if _handlers["as_html"] is None:
            _handlers["as_html"] = _js({"html": True})
        # Proxies of the previous version are left to the GC: a response still streaming may use them.
        by_variant = {}
        for flag in ruleset.flags:
            for variant in flag.variants.values():
                if variant.ops:
                    by_variant[(flag.key, variant.key)] = [(op[0], create_proxy(_OpHandler(op))) for op in variant.ops]
        _handlers["ruleset"] = ruleset
        _handlers["by_variant"] = by_variant
    return _handlers["by_variant"]


def _origin_request(request: object, config: Config, serve_path: str | None) -> object:
    url = URL.new(request.url)
    if config.origin_url:
        origin = URL.new(config.origin_url)
        url.protocol = origin.protocol
        url.host = origin.host
    if serve_path:
        url.pathname = serve_path
    return Request.new(url.toString(), request)


async def _fetch_origin(request: object, config: Config, serve_path: str | None) -> object:
    origin = _origin_request(request, config, serve_path)
    if _isolate["fetch_options"] is None:
        _isolate["fetch_options"] = _js({"redirect": "manual"})
    return await fetch(origin, _isolate["fetch_options"])


def _page(request: object, response: object) -> bool:
    """A page the visitor sees: an HTML answer to a whole GET, other than a redirect or a 304.

    Its headers carry the visitor's cookies (an error page is a page seen too: a variant
    whose origin page fails is measured by who saw it); only a 200 gets its body rewritten.
    """
    status = response.status
    return (
        request.method == "GET"
        and not (300 <= status < 400)
        and status != 206
        and "text/html" in _text(response.headers.get("content-type")).lower()
        and not _text(request.headers.get("range"))
    )


def _respond(request: object, response: object, plan: Plan, handlers: dict) -> object:
    """The visitor's response: pages get cookies (and a 200's body its rewrite); all else passes through."""
    if not _page(request, response):
        return response
    body = response.body
    changed = response.status == 200 and bool(plan.rewrites or plan.bootstrap)
    if changed:
        rewriter = HTMLRewriter.new()
        for key in plan.rewrites:
            for selector, handler in handlers.get(key, ()):
                rewriter.on(selector, handler)
        if plan.bootstrap:
            script = plan.bootstrap
            as_html = _handlers["as_html"]

            def inject(element: object) -> None:
                element.prepend(script, as_html)

            rewriter.on("head", _js({"element": create_once_callable(inject)}))
        body = rewriter.transform(response).body
    headers = Headers.new(response.headers)
    # The page carries this visitor's variants and cookies: no shared cache may store it.
    headers.set("cache-control", private_cache_control(_text(headers.get("cache-control"))))
    headers.append("vary", "Cookie")
    if changed:
        headers.delete("etag")
        headers.delete("content-length")
    for value in plan.set_cookies:
        headers.append("set-cookie", value)
    if plan.debug_header:
        headers.set("swerve-decisions", plan.debug_header)
    init = {"status": response.status, "statusText": response.statusText, "headers": headers}
    return Response.new(body, _js(init))


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


def _record(env: object, ctx: object, config: Config, counts: list[Count]) -> None:
    """Add a response's counts to this isolate's tally; flush after the response when due.

    Never raises and never delays the response: D1 is written in ``ctx.waitUntil``.
    """
    global _tally
    if not counts and (_tally is None or not _tally.pending):
        return
    try:
        db = _stats_db(env)
        if db is None:
            return
        now = time.time()
        if _tally is None:
            _tally = Tally(config.stats_flush, config.stats_max_keys, now)
        _tally.add(counts, now)
        if _tally.due(now):
            while _flush_proxy:
                _flush_proxy.pop().destroy()
            proxy = create_proxy(_flush(db, _tally, _tally.take(now)))
            _flush_proxy.append(proxy)
            ctx.waitUntil(proxy)
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
    handlers: dict = {}
    try:
        config = _env(env)
        ruleset = await _ruleset(env, config)
        if ruleset is not None:
            if request.method == "POST" and URL.new(request.url).pathname == EVENT_PATH:
                result, answer = await _client_event(request, ruleset, config)
                if result.counts:
                    _record(env, ctx, config, list(result.counts))
                return answer
            if request.method in ("GET", "HEAD"):
                plan = plan_request(ruleset, config, _facts(request), _new_id)
                handlers = _handlers_for(ruleset)
    except Exception as exc:
        _log_once(f"plan:{type(exc).__name__}", f"swerve: planning failed, serving the origin unchanged: {exc!r}")
        plan = None
    if config is None:
        config = load_config(lambda _name: "")
    response = await _fetch_origin(request, config, plan.serve_path if plan else None)
    if plan is None:
        return response
    try:
        answer = _respond(request, response, plan, handlers)
        # The counts that rely on the summary cookie hold only if the answer carries it.
        carried = plan.counts if answer is not response else []
        _record(env, ctx, config, carried + error_counts(plan.exposed, response.status))
        return answer
    except Exception as exc:
        _log_once(f"respond:{type(exc).__name__}", f"swerve: rewrite failed, serving the origin unchanged: {exc!r}")
        return response
