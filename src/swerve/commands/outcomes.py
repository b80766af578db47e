"""``swerve report``, ``advance`` and ``learn``: what the variants did, and acting on it.

All read the live version from KV and the outcome counts from D1 (local state by
default, ``--remote`` for the account's); ``advance`` and ``learn`` publish each change
they make as a new version with its own history action, so ``history``, ``diff`` and
``rollback`` cover it like any push.
"""

import argparse
import sys
import time
from pathlib import Path

from .. import publish
from ..advance import Plan, plan_advance
from ..errors import CliError
from ..learn import plan_learn
from ..report import ReportError, build_report, to_json
from ..report_html import render_html
from ..report_text import render_text
from ..stats_store import read_rows
from .common import author, d1_from_args, kv_args, kv_from_args, moment
from .publishing import EVENTUALLY, announce_step


def _live(args: argparse.Namespace) -> tuple[object, publish.Pointer, dict, list[publish.Pointer]]:
    kv = kv_from_args(args)
    history, pointer = publish.history_with_pointer(kv)
    if pointer is None:
        raise CliError(f"nothing is published in {kv.where}: `swerve push` first")
    return kv, pointer, publish.read_version(kv, pointer.version), history


def _loader(kv: object) -> object:
    cache: dict[int, dict | None] = {}

    def load(version: int) -> dict | None:
        if version not in cache:
            try:
                cache[version] = publish.read_version(kv, version)
            except publish.PublishError:
                cache[version] = None
        return cache[version]

    return load


def cmd_report(args: argparse.Namespace) -> int:
    """Per flag and variant: units, conversions, rates, uplift, P(best), SRM, guardrails, selector health."""
    kv, _pointer, document, history = _live(args)
    rows = read_rows(d1_from_args(args))
    try:
        report = build_report(document, rows, history, load=_loader(kv), flags=args.flags or None, now=time.time())
    except ReportError as exc:
        raise CliError(str(exc)) from exc
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(render_html(report), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        sys.stdout.buffer.write(to_json(report) + b"\n")
    elif not args.html:
        print(render_text(report))
    return 0


def cmd_advance(args: argparse.Namespace) -> int:
    """Move ramps one step and stop variants that breach a guardrail; each change is a new version."""
    kv, pointer, document, history = _live(args)
    rows = read_rows(d1_from_args(args))
    plan = plan_advance(document, rows, history, _loader(kv), time.time())
    return _publish(args, kv, pointer, plan)


def cmd_learn(args: argparse.Namespace) -> int:
    """New weights for every adaptive flag whose cadence has passed; each flag that moved is a new version."""
    if args.draws < 100:
        raise CliError("--draws must be at least 100")
    if args.tolerance < 0:
        raise CliError("--tolerance must be 0 or more percentage points")
    kv, pointer, document, history = _live(args)
    rows = read_rows(d1_from_args(args))
    now = moment(args.now) or time.time()
    plan = plan_learn(
        document, rows, history, _loader(kv), now, seed=args.seed, tolerance=args.tolerance, draws=args.draws
    )
    return _publish(args, kv, pointer, plan)


def _publish(args: argparse.Namespace, kv: object, pointer: publish.Pointer, plan: Plan) -> int:
    """Print the plan's lines and publish its changes in order (each on top of the previous one)."""
    for line in plan.lines:
        print(line)
    if not plan.changes:
        print("nothing to change")
        return 0
    if args.dry_run:
        print(f"dry run: {len(plan.changes)} change(s) not published")
        return 0
    before = pointer
    who = author(args)
    for change in plan.changes:
        published = publish.push(
            kv, change.document, change.message, who, step=announce_step, before=before, action=change.action
        )
        if published is None:
            continue
        print(f"published version {published.version} ({change.action}): {change.message}")
        before = published
    if args.remote:
        print(EVENTUALLY)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the outcome commands."""
    p = sub.add_parser("report", help="what each variant did: units, conversions, uplift, guardrails")
    p.add_argument("flags", nargs="*", metavar="FLAG", help="flags to report (default: every flag with data)")
    kv_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object for machines")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report with charts")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("advance", help="move ramps one step, stop variants that break a guardrail")
    kv_args(p)
    p.add_argument("--author", help="who the history names (default: SWERVE_AUTHOR, git user.email, login)")
    p.add_argument("--dry-run", action="store_true", help="say what would change, publish nothing")
    p.set_defaults(run=cmd_advance)

    p = sub.add_parser("learn", help="new weights for adaptive flags from their outcomes, published when they move")
    kv_args(p)
    p.add_argument("--author", help="who the history names (default: SWERVE_AUTHOR, git user.email, login)")
    p.add_argument("--dry-run", action="store_true", help="say what would change, publish nothing")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed: the same rows and seed give the same weights")
    p.add_argument(
        "--tolerance", type=float, default=1.0, help="publish only when a weight moves more (percentage points, 1)"
    )
    p.add_argument("--draws", type=int, default=4000, help="Monte Carlo draws per context (default 4000)")
    p.add_argument("--now", metavar="ISO-TIME", help="learn as if at this time (cadence), for replays and tests")
    p.set_defaults(run=cmd_learn)
