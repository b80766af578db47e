"""``swerve explain`` and ``simulate``: the edge's own evaluator on described or synthetic visitors."""

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from swerve_edge import cookie
from swerve_edge.http import ANONYMOUS_COOKIE, SUMMARY_COOKIE, parse_cookies
from swerve_edge.ruleset import load_ruleset
from swerve_edge.summary import Summary

from .. import dev_vars
from .. import explain as explain_mod
from .. import simulate as simulate_mod
from ..errors import CliError
from ..wrangler_config import find_config
from .common import (
    DEFAULT_RULES,
    document_from_args,
    json_object,
    kv_args,
    moment,
    pairs,
    rules_args,
)
from .publishing import source_document

# explain describes a person's visit unless told otherwise; an empty User-Agent would be a bot.
DEFAULT_ANONYMOUS_ID = "explain-visitor"
DESKTOP_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _explained_document(args: argparse.Namespace) -> tuple[dict, str]:
    """The document ``explain`` decides with, and a label saying which one it is."""
    if args.source:
        if args.paths or args.compiled:
            raise CliError("--from replaces rule paths and --compiled: give only one of them")
        document, label = source_document(args, args.source)
        if document is None:
            raise CliError(f"{label}: `swerve push` publishes rules/ first")
        return document, label
    if args.compiled:
        return document_from_args(args), f"{args.compiled} (compiled)"
    paths = args.paths or DEFAULT_RULES
    return document_from_args(args), f"{', '.join(paths)} (local files; --from current explains what is live)"


def _cookie_keys() -> tuple[list[bytes], str]:
    """SWERVE_COOKIE_KEYS from the environment, else from the project's .dev.vars."""
    if os.environ.get("SWERVE_COOKIE_KEYS"):
        return cookie.parse_keys(os.environ["SWERVE_COOKIE_KEYS"]), "SWERVE_COOKIE_KEYS"
    config = find_config(None, Path.cwd())
    if config is not None:
        path = config.parent / dev_vars.FILE
        local = dev_vars.read(path)
        if local.get("SWERVE_COOKIE_KEYS"):
            return cookie.parse_keys(local["SWERVE_COOKIE_KEYS"]), f"SWERVE_COOKIE_KEYS in {path}"
    raise CliError("--cookie: set SWERVE_COOKIE_KEYS to the Worker's cookie keys to verify it (locally: .dev.vars)")


def pasted_cookie(text: str) -> tuple[str | None, Summary]:
    """The anonymous id (if pasted too) and the verified summary from a pasted cookie.

    Takes the summary value (``s1.<payload>.<signature>``), ``swerve_s=...``, a whole
    Cookie header or a Set-Cookie line.
    """
    text = text.strip()
    jar = parse_cookies(text) if "=" in text.split(".", 1)[0] else {SUMMARY_COOKIE: text}
    value = jar.get(SUMMARY_COOKIE)
    if not value:
        raise CliError(f"--cookie: no {SUMMARY_COOKIE} cookie in what was given")
    keys, where = _cookie_keys()
    summary = cookie.decode(value, keys)
    if summary is None:
        raise CliError(
            f"--cookie: the summary does not verify with {where}: another key signed it, it was altered, "
            "or it is not a Swerve summary (s1.<payload>.<signature>)"
        )
    return jar.get(ANONYMOUS_COOKIE), summary


def _describe_summary(summary: Summary) -> str:
    events = ", ".join(f"{k}={v}" for k, v in sorted(summary.events.items())) or "none"
    seen = (
        ", ".join(
            f"{k}={v}" + (f" (in context {summary.contexts[k]})" if k in summary.contexts else "")
            for k, v in summary.exposures.items()
        )
        or "nothing yet"
    )
    return (
        f"cookie: {summary.sessions} session(s), {summary.pageviews} page view(s), events: {events}; "
        f"variants seen: {seen}"
    )


def cmd_explain(args: argparse.Namespace) -> int:
    """Each in-scope flag's variant and reason chain for one described request."""
    document, label = _explained_document(args)
    ruleset = load_ruleset(document)
    print(f"explaining with {label}", file=sys.stderr)
    now = moment(args.now)
    behavior = json_object(args.behavior, "--behavior")
    exposures = json_object(args.exposures, "--exposures")
    anonymous_id = args.anonymous_id
    if args.cookie:
        if args.behavior or args.exposures:
            raise CliError("--cookie already holds the behavior and the variants seen: drop --behavior/--exposures")
        pasted_id, summary = pasted_cookie(args.cookie)
        print(_describe_summary(summary), file=sys.stderr)
        behavior = summary.attributes(int(now if now is not None else time.time()))
        exposures = {
            flag: {"variant": variant, "context": summary.contexts[flag]} if flag in summary.contexts else variant
            for flag, variant in summary.exposures.items()
        }
        anonymous_id = anonymous_id or pasted_id
    cf = {k: v for k, v in (("country", args.country), ("region", args.region), ("timezone", args.timezone)) if v}
    attrs: dict[str, Any] = dict(pairs(args.attr, "=", "--attr"))
    for key, value in list(attrs.items()):
        with contextlib.suppress(ValueError):
            attrs[key] = json.loads(value)
    explanations = explain_mod.explain(
        ruleset,
        url=args.url,
        headers={
            "user-agent": DESKTOP_USER_AGENT,
            **{k.lower(): v for k, v in pairs(args.header, ":", "--header").items()},
        },
        cf=cf,
        user_id=args.user_id,
        anonymous_id=anonymous_id or DEFAULT_ANONYMOUS_ID,
        user_attributes=attrs,
        behavior=behavior,
        now=now,
        exposures=exposures,
    )
    print(explain_mod.render(explanations, args.json))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Exposure shares over a synthetic population; exit 1 when a guardrail breaks."""
    if args.visitors < 1:
        raise CliError("--visitors must be at least 1")
    document = document_from_args(args)
    ruleset = load_ruleset(document)
    now = moment(args.now) or datetime.datetime.now(datetime.UTC).timestamp()
    show = simulate_mod.print_progress if args.visitors >= 20_000 and not args.quiet else None
    results = simulate_mod.simulate(ruleset, document, args.visitors, args.seed, now, show)
    if args.json:
        print(json.dumps([msgspec.to_builtins(r) for r in results], indent=2))
    else:
        print(simulate_mod.render(results))
    return 1 if any(r.breaks_guardrail for r in results) else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the evaluation commands."""
    p = sub.add_parser("explain", help="show each flag's variant and reasons for one described request")
    rules_args(p, compiled=True)
    p.add_argument(
        "--from",
        dest="source",
        metavar="SOURCE",
        help="explain with `current` (what is live), a version number, or a compiled .json",
    )
    kv_args(p)
    p.add_argument("--url", default="https://example.com/", help="the request URL")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="a request header (repeatable)")
    p.add_argument("--country", help="request.cf country, for example DE")
    p.add_argument("--region", help="request.cf region code")
    p.add_argument("--timezone", help="request.cf time zone, for example Europe/Berlin")
    p.add_argument("--user-id", help="the app's user id")
    p.add_argument(
        "--anonymous-id", help=f"the rollout key (default: the pasted cookie's id, or {DEFAULT_ANONYMOUS_ID})"
    )
    p.add_argument("--attr", action="append", default=[], metavar="NAME=VALUE", help="a user.* attribute (repeatable)")
    p.add_argument("--behavior", metavar="JSON", help="behavior summary, for example '{\"sessions\": 3}'")
    p.add_argument(
        "--exposures",
        metavar="JSON",
        help='variants seen before, for sticky rollouts: {"flag": "variant"}, or for an adaptive flag '
        '{"flag": {"variant": "...", "context": "1.0"}}',
    )
    p.add_argument(
        "--cookie",
        metavar="COOKIE",
        help="a visitor's summary cookie (swerve_s value, or a Cookie header), verified with SWERVE_COOKIE_KEYS",
    )
    p.add_argument("--now", metavar="ISO-TIME", help="evaluate at this time (schedules)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("simulate", help="exposure shares over a synthetic population; exit 1 if a guardrail breaks")
    rules_args(p, compiled=True)
    p.add_argument("--visitors", type=int, default=10_000, help="population size (default 10000)")
    p.add_argument("--seed", type=int, default=1, help="population seed (default 1)")
    p.add_argument("--now", metavar="ISO-TIME", help="evaluate at this time (schedules)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(run=cmd_simulate)
