"""From rule files (or a compiled file) to the compiled document the edge reads."""

import datetime
import json
import sys
from pathlib import Path
from typing import Any

from swerve_edge.digest import is_intact

from .compiler import compile_rules
from .diagnostics import Diagnostic
from .errors import CliError
from .validate import has_errors, validate


def print_findings(findings: list[Diagnostic]) -> None:
    """Each finding on stderr, one line each."""
    for finding in findings:
        print(finding.render(), file=sys.stderr)


def compiled_from_sources(paths: list[str], strict: bool = False, today: datetime.date | None = None) -> dict[str, Any]:
    """Validate and compile rule files; CliError listing the findings when any is an error."""
    rules, findings = validate(paths, today=today, strict=strict)
    if has_errors(findings):
        print_findings(findings)
        errors = sum(1 for f in findings if f.severity == "error")
        raise CliError(f"{errors} error(s) in {', '.join(paths)}: nothing compiled")
    return compile_rules(rules)


def read_compiled(path: str) -> dict[str, Any]:
    """Read a compiled ruleset file and check its hash."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: cannot read compiled ruleset: {exc}") from exc
    if not is_intact(document):
        raise CliError(f"{path}: not a compiled Swerve ruleset, or its content hash does not match")
    return document
