"""``swerve init DIR``: scaffold a new site (see ``swerve.scaffold``)."""

import argparse
import importlib.metadata
from pathlib import Path

from ..scaffold import scaffold


def cmd_init(args: argparse.Namespace) -> int:
    """Create the new site and print what was written and what to do next."""
    target = Path(args.dir)
    try:
        version = importlib.metadata.version("swerve")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    written = scaffold(target, version)
    print(f"created {target}/ for Swerve {version}:")
    for path in sorted(written, key=lambda p: (len(p.parts) > 1, str(p))):
        if path.parts[0] != "worker" or path.name == "entry.py":
            print(f"  {path}")
    workers = sum(1 for p in written if p.parts[0] == "worker")
    print(f"  worker/... ({workers} files: the Worker, as deployed)")
    print(f"next: cd {target} && npm install && swerve validate  (then README.md, step 2)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``init``."""
    p = sub.add_parser("init", help="scaffold a new site: wrangler.toml, rules/, the Worker, next steps")
    p.add_argument("dir", metavar="DIR", help="the new site's directory (absent or empty)")
    p.set_defaults(run=cmd_init)
