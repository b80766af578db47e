"""``swerve explain`` and ``simulate``: the edge's own evaluator on described or synthetic visitors."""

import argparse
import contextlib
import datetime
import json
from typing import Any

import msgspec

from swerve_edge.ruleset import load_ruleset

from .. import explain as explain_mod
from .. import simulate as simulate_mod
from ..errors import CliError
from .common import document_from_args, json_object, moment, pairs, rules_args

# explain describes a person's visit unless told otherwise; an empty User-Agent would be a bot.
DESKTOP_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def cmd_explain(args: argparse.Namespace) -> int:
    """Each in-scope flag's variant and reason chain for one described request."""
    ruleset = load_ruleset(document_from_args(args))
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
        anonymous_id=args.anonymous_id,
        user_attributes=attrs,
        behavior=json_object(args.behavior, "--behavior"),
        now=moment(args.now),
        exposures=json_object(args.exposures, "--exposures"),
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
    p.add_argument("--url", default="https://example.com/", help="the request URL")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="a request header (repeatable)")
    p.add_argument("--country", help="request.cf country, for example DE")
    p.add_argument("--region", help="request.cf region code")
    p.add_argument("--timezone", help="request.cf time zone, for example Europe/Berlin")
    p.add_argument("--user-id", help="the app's user id")
    p.add_argument("--anonymous-id", default="explain-visitor", help="Swerve's anonymous id (rollout key)")
    p.add_argument("--attr", action="append", default=[], metavar="NAME=VALUE", help="a user.* attribute (repeatable)")
    p.add_argument("--behavior", metavar="JSON", help="behavior summary, for example '{\"sessions\": 3}'")
    p.add_argument(
        "--exposures",
        metavar="JSON",
        help='variants seen before, for sticky rollouts: {"flag": "variant"}, or for an adaptive flag '
        '{"flag": {"variant": "...", "context": "1.0"}}',
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
