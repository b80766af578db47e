"""``swerve status``, ``kill``, ``unkill`` and ``set``: what is live, and one-command changes to it.

``kill``, ``unkill`` and ``set`` publish a new version that differs from the live one only
in its ``state``; they edit nothing in ``rules/``. A later ``swerve push`` from files
carries that state forward (and prints a line per entry), so it is undone only by
``unkill`` or ``set --clear``.
"""

import argparse
import datetime
import sys
from typing import Any

import msgspec

from .. import live_edits, publish
from .. import status as status_mod
from ..errors import CliError
from ..kv import WranglerKv
from ..local_state import LocalKv
from .common import author, kv_args, kv_from_args
from .publishing import EVENTUALLY


def live_document(kv: WranglerKv | LocalKv) -> tuple[publish.Pointer, dict[str, Any]]:
    """The current pointer and the document it points at; CliError before the first push."""
    pointer = publish.read_pointer(kv)
    if pointer is None:
        raise CliError(f"nothing is published in {kv.where} yet: `swerve push -m MESSAGE` publishes rules/")
    return pointer, publish.read_version(kv, pointer.version)


def _publish(
    args: argparse.Namespace, kv: WranglerKv | LocalKv, before: publish.Pointer, new: dict, action: str
) -> None:
    message = args.message or f"{action} {args.flag}"
    pointer = publish.push(kv, new, message, author(args), before=before, action=action)
    if pointer is None:
        raise CliError("nothing changed: the live version already is this")
    print(f"published version {pointer.version} ({action} {args.flag}), replacing version {pointer.parent}")
    if args.remote:
        print(EVENTUALLY)


def _carried_note(flag: str, undo: str) -> None:
    print(
        f"note: rules/ is unchanged: the next `swerve push` from files keeps this ({undo} ends it; "
        "a push carries live changes forward and lists them)",
        file=sys.stderr,
    )


def cmd_kill(args: argparse.Namespace) -> int:
    """Turn a flag's kill switch on in a new version: every visitor gets its default."""
    kv = kv_from_args(args)
    pointer, document = live_document(kv)
    new = live_edits.kill(document, args.flag)
    _publish(args, kv, pointer, new, "kill")
    default = next(f["default"] for f in new["flags"] if f["key"] == args.flag)
    print(f"{args.flag} is killed: every visitor gets its default, {default}")
    _carried_note(args.flag, f"`swerve unkill {args.flag}`")
    return 0


def cmd_unkill(args: argparse.Namespace) -> int:
    """End a kill set by ``swerve kill`` in a new version."""
    kv = kv_from_args(args)
    pointer, document = live_document(kv)
    new = live_edits.unkill(document, args.flag)
    _publish(args, kv, pointer, new, "unkill")
    print(f"{args.flag} is live again: its rules decide")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    """Set (or with --clear, drop) the live weights of one rollout rule in a new version."""
    if (args.weights is None) == (not args.clear):
        raise CliError("give --weights VARIANT=PERCENT,... or --clear")
    kv = kv_from_args(args)
    pointer, document = live_document(kv)
    index = live_edits.pick_rollout(document, args.flag, args.rule)
    flag = next(f for f in document["flags"] if f["key"] == args.flag)
    variants = flag["rules"][index]["rollout"]["variants"]
    weights = None if args.clear else live_edits.parse_weights(args.weights, variants)
    new = live_edits.set_weights(document, args.flag, index, weights)
    _publish(args, kv, pointer, new, "set")
    today = datetime.datetime.now(datetime.UTC).date()
    now = next(s for s in status_mod.flag_statuses(new, today) if s.key == args.flag)
    rollout = next(r for r in now.rollouts if r.rule == index + 1)
    print(f"{args.flag} {status_mod.describe_rollout(rollout)}")
    if now.killed:
        print(f"note: {args.flag} is killed, so these weights apply only once it is not", file=sys.stderr)
    if weights is not None:
        print(
            "note: sticky rollouts keep returning visitors on the variant they saw while it keeps a share; "
            "new visitors get the new split",
            file=sys.stderr,
        )
        _carried_note(args.flag, f"`swerve set {args.flag} --clear`")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """The live version and every flag as the edge runs it."""
    kv = kv_from_args(args)
    pointer, document = live_document(kv)
    today = datetime.datetime.now(datetime.UTC).date()
    statuses = status_mod.flag_statuses(document, today)
    if args.json:
        out = {"pointer": msgspec.to_builtins(pointer), "where": kv.where, "flags": msgspec.to_builtins(statuses)}
        print(msgspec.json.format(msgspec.json.encode(out), indent=2).decode())
        return 0
    what = "rollback to" if pointer.action == "rollback" else pointer.action
    print(f"live in {kv.where}: version {pointer.version} ({pointer.hash.removeprefix('sha256:')[:12]})")
    print(f"  {what} v{pointer.version} by {pointer.author or 'unknown'} at {pointer.time or 'unknown time'}")
    if pointer.message:
        print(f"  message: {pointer.message}")
    print()
    print(status_mod.render(statuses))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the live-state commands."""
    p = sub.add_parser("status", help="the live version, and each flag's owner, expiry, kill switch and weights")
    kv_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_status)

    for name, run, text in (
        ("kill", cmd_kill, "publish a version with FLAG's kill switch on (everyone gets its default)"),
        ("unkill", cmd_unkill, "publish a version that ends a `swerve kill`"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("flag", metavar="FLAG")
        kv_args(p)
        p.add_argument("-m", "--message", help=f"why (default: {name} FLAG)")
        p.add_argument("--author", help="who (default: SWERVE_AUTHOR, git user.email, or the login name)")
        p.set_defaults(run=run)

    p = sub.add_parser("set", help="publish a version with new live weights for one of FLAG's rollouts")
    p.add_argument("flag", metavar="FLAG")
    p.add_argument("--weights", metavar="V=PCT,...", help="percent per variant, summing to 100, e.g. a=10,b=90")
    p.add_argument("--clear", action="store_true", help="drop weights set earlier: back to the rule file's (or ramp's)")
    p.add_argument("--rule", type=int, metavar="N", help="which rollout rule (1-based), when FLAG has several")
    kv_args(p)
    p.add_argument("-m", "--message", help="why (default: set FLAG)")
    p.add_argument("--author", help="who (default: SWERVE_AUTHOR, git user.email, or the login name)")
    p.set_defaults(run=cmd_set)
