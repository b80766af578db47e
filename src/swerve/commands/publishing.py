"""``swerve push``, ``rollback``, ``history``, ``pull`` and ``diff``: versions in KV."""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import msgspec

from swerve_edge.digest import canonical_json
from swerve_edge.ruleset import load_ruleset

from .. import diff as diff_mod
from .. import publish
from .. import simulate as simulate_mod
from ..build import compiled_from_sources, read_compiled
from ..errors import CliError
from ..kv import WranglerKv
from ..live_state import carry_forward
from ..local_state import LocalKv
from .common import (
    DEFAULT_RULES,
    author,
    confirm,
    kv_args,
    kv_from_args,
    rules_args,
    version_number,
    write_output,
)

STEP_LABELS = {
    "read-pointer": "reading the current pointer",
    "write-ruleset": "writing the new version",
    "verify-ruleset": "reading it back to compare",
    "check-pointer": "checking nobody else pushed meanwhile",
    "move-pointer": "moving the pointer",
    "record-history": "recording the history",
}
EVENTUALLY = "KV is eventually consistent: every location serves it within about 60 seconds."


def announce_step(name: str) -> None:
    """Print a publishing step; the test hook SWERVE_PUSH_PAUSE_AT stops here so a test can kill us."""
    print(f"  {STEP_LABELS.get(name, name)}...", file=sys.stderr, flush=True)
    if os.environ.get("SWERVE_PUSH_PAUSE_AT") == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(600)


def published(kv: WranglerKv | LocalKv, label: str) -> tuple[dict | None, str]:
    """A stored document by label: 'current', 'N' or 'vN'."""
    if label == "current":
        pointer = publish.read_pointer(kv)
        if pointer is None:
            return None, f"current ({kv.where}: nothing published)"
        return publish.read_version(kv, pointer.version), f"current (v{pointer.version}, {kv.where})"
    version = version_number(label)
    return publish.read_version(kv, version), f"v{version} ({kv.where})"


def source_document(args: argparse.Namespace, label: str) -> tuple[dict | None, str]:
    """A document and its label from ``current``, a version, a compiled ``.json`` or rule files.

    KV is opened (with the command's options) only for ``current`` or a version.
    """
    path = Path(label)
    if label == "current" or label.removeprefix("v").isdigit():
        return published(kv_from_args(args), label)
    if path.suffix == ".json" and path.is_file():
        return read_compiled(label), label
    return compiled_from_sources([label]), f"{label} (local files)"


def cmd_push(args: argparse.Namespace) -> int:
    """Validate, compile, show the diff, check guardrails, confirm, publish."""
    kv = kv_from_args(args)  # a local helper boots while the rules compile
    compiled = compiled_from_sources(args.paths or DEFAULT_RULES, strict=args.strict)
    pointer = publish.read_pointer(kv)
    old = publish.read_version(kv, pointer.version) if pointer else None
    document, notes = carry_forward(compiled, old)
    for note in notes:
        print(f"live state: {note}", file=sys.stderr)
    if pointer is not None and pointer.hash == document["hash"]:
        print(f"nothing to publish: version {pointer.version} ({kv.where}) already has this content")
        return 0
    label = f"v{pointer.version} ({kv.where})" if pointer else f"nothing ({kv.where})"
    now = datetime.datetime.now(datetime.UTC).timestamp()
    # One simulation serves the guardrails and the diff's exposure changes; none without guardrails.
    guarded = any(f.get("meta", {}).get("max_exposure") is not None for f in document.get("flags", []))
    exposures = simulate_mod.simulate(load_ruleset(document), document, 5000, 1, now) if guarded else None
    files = f"{', '.join(args.paths or DEFAULT_RULES)} (local files)"
    print(diff_mod.render(diff_mod.diff(old, document, now=now, new_exposures=exposures), label, files))
    broken = [r for r in exposures or [] if r.breaks_guardrail]
    for result in broken:
        print(
            f"GUARDRAIL: {result.flag} would expose {result.exposed:.1f}% (max_exposure {result.max_exposure:g}%)",
            file=sys.stderr,
        )
    if broken and not args.force:
        raise CliError("a guardrail would break: nothing was published (use --force to publish anyway)")
    confirm(f"Publish these changes to {kv.where}?", args.yes)
    print(f"publishing to {kv.where}:", file=sys.stderr)
    pointer = publish.push(
        kv, document, args.message, author(args), force=args.force, step=announce_step, before=pointer
    )
    assert pointer is not None  # identical content returned above, before anything was written
    replaced = "the first version" if pointer.parent is None else f"replacing version {pointer.parent}"
    print(f"published version {pointer.version} ({pointer.hash[:19]}), {replaced}")
    if args.remote:
        print(EVENTUALLY)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Point current at the parent version, or at VERSION."""
    kv = kv_from_args(args)
    target = version_number(args.version) if args.version else None
    pointer = publish.rollback(kv, author(args), target, args.message or "", step=announce_step)
    print(f"current is now version {pointer.version} (was {pointer.parent})")
    print(
        f"note: sticky rollouts: a visitor keeps the variant they saw while version {pointer.version} still gives it "
        "a share; new visitors (a private window) get its split",
        file=sys.stderr,
    )
    if args.remote:
        print(EVENTUALLY)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Every push and rollback, newest first."""
    kv = kv_from_args(args)
    history, pointer = publish.history_with_pointer(kv)
    if not history:
        print(f"no versions published yet in {kv.where}: `swerve push -m MESSAGE` publishes rules/")
        return 0
    print(publish.render_history(history, pointer))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    """Write a stored compiled ruleset."""
    kv = kv_from_args(args)
    document, _label = published(kv, args.version or "current")
    if document is None:
        raise CliError(f"nothing is published in {kv.where}")
    write_output(canonical_json(document), args.output)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Semantic diff of two rulesets."""
    old, label_old = source_document(args, args.a)
    new, label_new = source_document(args, args.b)
    if new is None:
        raise CliError(f"{label_new}: nothing to compare")
    if old is not None and label_new.endswith("(local files)"):
        # What a push of these files would publish: the live state they still fit comes along.
        new, _notes = carry_forward(new, old)
    changes = diff_mod.diff(old, new, visitors=args.visitors)
    if args.json:
        print(json.dumps([msgspec.to_builtins(c) for c in changes], indent=2))
    else:
        print(diff_mod.render(changes, label_old, label_new))
    return 1 if args.exit_code and changes else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the publishing commands."""
    p = sub.add_parser("push", help="validate, compile and publish the rules as a new version")
    rules_args(p)
    kv_args(p)
    p.add_argument("-m", "--message", required=True, help="what this version changes")
    p.add_argument("--author", help="who pushes (default: SWERVE_AUTHOR, git user.email, or the login name)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--force", action="store_true", help="publish despite a broken guardrail or a moved pointer")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=cmd_push)

    p = sub.add_parser("rollback", help="point current back at the parent version, or at VERSION")
    p.add_argument("version", nargs="?", help="version to make current (default: the current one's parent)")
    kv_args(p)
    p.add_argument("-m", "--message", help="why (default: rollback from N to M)")
    p.add_argument("--author", help="who rolls back")
    p.set_defaults(run=cmd_rollback)

    p = sub.add_parser("history", help="list published versions; * marks the current one")
    kv_args(p)
    p.set_defaults(run=cmd_history)

    p = sub.add_parser("pull", help="write a stored compiled ruleset to stdout or a file")
    p.add_argument("version", nargs="?", help="version number (default: current)")
    kv_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=cmd_pull)

    p = sub.add_parser("diff", help="semantic diff of two rulesets (default: current vs local rules/)")
    p.add_argument("a", nargs="?", default="current", help="current, a version, rule files or a compiled .json")
    p.add_argument("b", nargs="?", default="rules", help="the same kinds (default: rules/)")
    kv_args(p)
    p.add_argument("--visitors", type=int, default=5000, help="simulated visitors for exposure changes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are changes, 0 when none (as git diff)")
    p.set_defaults(run=cmd_diff)
