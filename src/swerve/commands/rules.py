"""``swerve validate``, ``compile`` and ``schema``: rule files in, findings or documents out."""

import argparse
import json
import sys

from swerve_edge.digest import canonical_json

from ..build import compiled_from_sources, print_findings
from ..editor_schema import json_schema
from ..validate import validate
from .common import DEFAULT_RULES, rules_args, today, write_output


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every finding; exit 1 on any error."""
    paths = args.paths or DEFAULT_RULES
    rules, findings = validate(paths, today=today(args.today), strict=args.strict)
    print_findings(findings)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    summary = f"{len(rules.flags)} flags, {len(rules.segments)} segments, {len(rules.events)} events"
    if errors:
        print(f"invalid: {errors} error(s), {warnings} warning(s) ({summary})", file=sys.stderr)
        return 1
    print(f"valid: {summary}" + (f", {warnings} warning(s)" if warnings else ""))
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    """Write the compiled document."""
    document = compiled_from_sources(args.paths or DEFAULT_RULES, strict=args.strict, today=today(args.today))
    write_output(canonical_json(document), args.output)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Write the JSON Schema of rule files."""
    write_output(json.dumps(json_schema(), indent=2).encode("utf-8"), args.output)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the rule-file commands."""
    p = sub.add_parser("validate", help="check rule files; exit 1 on any error")
    rules_args(p)
    p.add_argument("--strict", action="store_true", help="treat warnings (expiry, owner) as errors")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date expiry is checked against (default: today)")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("compile", help="write the compiled ruleset JSON")
    rules_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date expiry is checked against")
    p.set_defaults(run=cmd_compile)

    p = sub.add_parser("schema", help="write the JSON Schema of rule files (for editors)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=cmd_schema)
