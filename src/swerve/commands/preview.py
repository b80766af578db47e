"""``swerve preview``: a link that shows chosen variants to whoever opens it, until it expires.

The link is signed with the Worker's secret ``SWERVE_PREVIEW_KEY`` (read here from the
environment, or locally from ``.dev.vars``); the pairs are checked against the live
version. ``--clear`` prints the link that ends a preview in the browser that opens it.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from swerve_edge import preview
from swerve_edge.cookie import parse_keys

from .. import dev_vars, preview_links
from ..errors import CliError
from ..wrangler_config import find_config, read_config
from .common import default_env, kv_args, kv_from_args
from .live import live_document

KEY = "SWERVE_PREVIEW_KEY"


def preview_key(remote: bool, config: Path | None) -> list[bytes]:
    """The Worker's preview keys: the environment, else (local state only) the project's .dev.vars."""
    keys = parse_keys(os.environ.get(KEY, ""))
    if keys:
        return keys
    if not remote and config is not None:
        keys = parse_keys(dev_vars.read(config.parent / dev_vars.FILE).get(KEY, ""))
        if keys:
            return keys
    where = "" if remote else f", or in {dev_vars.FILE} for the local Worker (make demo writes one)"
    raise CliError(
        f"set {KEY} in the environment to the Worker's preview key{where}; "
        f"the Worker gets it with `npx wrangler secret put {KEY}` (docs/deploy.md)"
    )


def _wrangler(args: argparse.Namespace) -> tuple[Path | None, dict]:
    path = find_config(args.config, Path.cwd())
    if path is None:
        return None, {}
    config = read_config(path)
    env = default_env(args)
    return path, (config.get("env", {}).get(env, config) if env else config)


def cmd_preview(args: argparse.Namespace) -> int:
    """Print the link that starts (or with --clear, ends) a preview."""
    path, config = _wrangler(args)
    where = preview_links.target(args.url, args.remote, config)
    if args.clear:
        if args.pairs:
            raise CliError("--clear ends whatever preview the browser has: give no FLAG=VARIANT with it")
        link = preview_links.clear_link(where)
        print(json.dumps({"clear": link}) if args.json else link)
        return 0
    if not args.pairs:
        raise CliError("give FLAG=VARIANT pairs to preview (or --clear for the link that ends a preview)")
    forced = preview_links.parse_pairs(args.pairs)
    ttl = preview_links.parse_ttl(args.ttl)
    keys = preview_key(args.remote, path)
    kv = kv_from_args(args)
    pointer, document = live_document(kv)
    now = time.time()
    notes = preview_links.check_pairs(document, forced, where.page.split("?", 1)[0], now)
    expires = int(now) + ttl
    try:
        token = preview.encode(forced, expires, keys)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    link = preview_links.preview_link(where, token)
    if args.json:
        out = {
            "link": link,
            "clear": preview_links.clear_link(where),
            "forced": forced,
            "expires": preview_links.utc(expires),
            "version": pointer.version,
            "notes": notes,
        }
        print(json.dumps(out, indent=2))
        return 0
    print(link)
    pairs = ", ".join(f"{k}={v}" for k, v in forced.items())
    print(
        f"preview of {pairs} on {where.site}{where.page} (live version {pointer.version}), "
        f"until {preview_links.utc(expires)}",
        file=sys.stderr,
    )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        "note: anyone with this link sees these variants until it expires; "
        "`swerve preview --clear` prints the link that ends it",
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``preview``."""
    p = sub.add_parser(
        "preview",
        help="print a link that shows FLAG=VARIANT to whoever opens it, until it expires (--clear: one that ends it)",
    )
    p.add_argument("pairs", nargs="*", metavar="FLAG=VARIANT", help="variants to show (checked against what is live)")
    p.add_argument("--ttl", default="1h", help="how long the link works: 30m, 1h, 2d... (default 1h, at most 7d)")
    p.add_argument(
        "--url",
        help=f"the page to open: a full address, or a path on {preview_links.LOCAL_SITE} "
        "(with --remote: on the wrangler config's route) (default /)",
    )
    p.add_argument("--clear", action="store_true", help="print the link that ends a preview instead")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    kv_args(p)
    p.set_defaults(run=cmd_preview)
