"""The ``swerve`` command line: the parser, and the one place errors become exit statuses.

Each command group lives in ``swerve.commands.<group>`` and registers its subcommands.
"""

import argparse
import sys

from swerve_edge.ruleset import RulesetError

from . import publish
from .commands import evaluate, outcomes, publishing, rules
from .errors import CliError
from .kv import KvError

GROUPS = (rules, evaluate, publishing, outcomes)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="swerve", description="Swerve: edge feature flags and personalization.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``swerve`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CliError, RulesetError, KvError, publish.PublishError) as exc:
        print(f"swerve: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
