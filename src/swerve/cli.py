"""The ``swerve`` command line: the parser, and the one place errors become exit statuses.

Each command group lives in ``swerve.commands.<group>`` and registers its subcommands.
Exit statuses: 0 success, 1 an error (or, for ``simulate``, a broken guardrail; for
``diff --exit-code``, changes), 2 a usage error (unknown command or option, missing
argument).
"""

import argparse
import difflib
import importlib.metadata
import sys

from swerve_edge.ruleset import RulesetError

from . import publish
from .commands import evaluate, live, outcomes, preview, publishing, rules, site
from .errors import CliError
from .kv import KvError

GROUPS = (rules, evaluate, publishing, live, preview, outcomes, site)
USAGE_ERROR = 2


def version() -> str:
    """The installed package's version."""
    try:
        return importlib.metadata.version("swerve")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="swerve",
        description="Swerve: edge feature flags and personalization.",
        epilog="`swerve COMMAND --help` describes a command; docs/cli.md describes them all.",
    )
    parser.add_argument("--version", action="version", version=f"swerve {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """A message with a suggestion when the first argument is not a command, else None."""
    if not argv or argv[0].startswith("-"):
        return None
    commands = _commands(parser)
    if argv[0] in commands:
        return None
    close = difflib.get_close_matches(argv[0], commands, n=1, cutoff=0.5)
    hint = f"did you mean `swerve {close[0]}`?" if close else "`swerve --help` lists the commands"
    return f"swerve: unknown command {argv[0]!r} ({hint})"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``swerve`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    problem = _unknown_command(parser, argv)
    if problem:
        print(problem, file=sys.stderr)
        return USAGE_ERROR
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    try:
        return args.run(args)
    except (CliError, RulesetError, KvError, publish.PublishError) as exc:
        print(f"swerve: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
