"""``swerve report`` and ``advance``: what the variants did, and acting on it.

Both read the live version from KV and the outcome counts from D1 (local state by
default, ``--remote`` for the account's), and ``advance`` publishes each change it makes
as a new version with its own history action, so ``history``, ``diff`` and ``rollback``
cover it like any push.
"""

import argparse
import sys
import time
from pathlib import Path

from .. import publish
from ..advance import plan_advance
from ..errors import CliError
from ..report import ReportError, build_report, to_json
from ..report_html import render_html
from ..report_text import render_text
from ..stats_store import read_rows
from .common import author, d1_from_args, kv_args, kv_from_args
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
