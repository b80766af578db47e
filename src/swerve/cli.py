"""The ``swerve`` command line: validate, compile, schema, explain, simulate."""

import argparse
import contextlib
import datetime
import getpass
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from swerve_edge.digest import canonical_json, is_intact
from swerve_edge.ruleset import RulesetError, load_ruleset

from . import diff as diff_mod
from . import explain as explain_mod
from . import publish
from . import simulate as simulate_mod
from .compiler import compile_rules
from .kv import KvError, WranglerKv
from .schema import json_schema
from .validate import has_errors, validate

DEFAULT_RULES = ["rules"]
# explain describes a person's visit unless told otherwise; an empty User-Agent would be a bot.
DESKTOP_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 1."""


def _print_findings(findings: list) -> None:
    for finding in findings:
        print(finding.render(), file=sys.stderr)


def _today(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def compiled_from_sources(paths: list[str], strict: bool = False, today: datetime.date | None = None) -> dict[str, Any]:
    """Validate and compile rule files; CliError listing the findings when any is an error."""
    rules, findings = validate(paths, today=today, strict=strict)
    if has_errors(findings):
        _print_findings(findings)
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


def _document(args: argparse.Namespace) -> dict[str, Any]:
    if getattr(args, "compiled", None):
        return read_compiled(args.compiled)
    return compiled_from_sources(args.paths or DEFAULT_RULES)


def _write(data: bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(data)
        print(f"wrote {output} ({len(data):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")


def cmd_validate(args: argparse.Namespace) -> int:
    paths = args.paths or DEFAULT_RULES
    rules, findings = validate(paths, today=_today(args.today), strict=args.strict)
    _print_findings(findings)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    summary = f"{len(rules.flags)} flags, {len(rules.segments)} segments, {len(rules.events)} events"
    if errors:
        print(f"invalid: {errors} error(s), {warnings} warning(s) ({summary})", file=sys.stderr)
        return 1
    print(f"valid: {summary}" + (f", {warnings} warning(s)" if warnings else ""))
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    document = compiled_from_sources(args.paths or DEFAULT_RULES, strict=args.strict, today=_today(args.today))
    _write(canonical_json(document), args.output)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    _write(json.dumps(json_schema(), indent=2).encode("utf-8"), args.output)
    return 0


def _pairs(values: list[str], sep: str, what: str) -> dict[str, str]:
    out = {}
    for item in values:
        if sep not in item:
            raise CliError(f"{what} {item!r}: expected NAME{sep}VALUE")
        key, value = item.split(sep, 1)
        out[key.strip()] = value.strip()
    return out


def _json_option(text: str | None, name: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{name}: not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CliError(f"{name}: expected a JSON object")
    return value


def _now(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CliError(f"--now {value!r}: expected an ISO time such as 2026-12-01T09:00:00Z") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def cmd_explain(args: argparse.Namespace) -> int:
    ruleset = load_ruleset(_document(args))
    cf = {k: v for k, v in (("country", args.country), ("region", args.region), ("timezone", args.timezone)) if v}
    attrs: dict[str, Any] = dict(_pairs(args.attr, "=", "--attr"))
    for key, value in list(attrs.items()):
        with contextlib.suppress(ValueError):
            attrs[key] = json.loads(value)
    explanations = explain_mod.explain(
        ruleset,
        url=args.url,
        headers={
            "user-agent": DESKTOP_USER_AGENT,
            **{k.lower(): v for k, v in _pairs(args.header, ":", "--header").items()},
        },
        cf=cf,
        user_id=args.user_id,
        anonymous_id=args.anonymous_id,
        user_attributes=attrs,
        behavior=_json_option(args.behavior, "--behavior"),
        now=_now(args.now),
        exposures=_json_option(args.exposures, "--exposures"),
    )
    print(explain_mod.render(explanations, args.json))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.visitors < 1:
        raise CliError("--visitors must be at least 1")
    document = _document(args)
    ruleset = load_ruleset(document)
    now = _now(args.now) or datetime.datetime.now(datetime.UTC).timestamp()
    show = simulate_mod.print_progress if args.visitors >= 20_000 and not args.quiet else None
    results = simulate_mod.simulate(ruleset, document, args.visitors, args.seed, now, show)
    if args.json:
        print(json.dumps([msgspec.to_builtins(r) for r in results], indent=2))
    else:
        print(simulate_mod.render(results))
    return 1 if any(r.breaks_guardrail for r in results) else 0


STEP_LABELS = {
    "read-pointer": "reading the current pointer",
    "write-ruleset": "writing the new version",
    "verify-ruleset": "reading it back to compare",
    "check-pointer": "checking nobody else pushed meanwhile",
    "move-pointer": "moving the pointer",
    "record-history": "recording the history",
}


def _step(name: str) -> None:
    print(f"  {STEP_LABELS.get(name, name)}...", file=sys.stderr, flush=True)
    # Test hook: stop here so a test can kill the process between two steps.
    if os.environ.get("SWERVE_PUSH_PAUSE_AT") == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(600)


def _wrangler() -> str:
    explicit = os.environ.get("SWERVE_WRANGLER")
    if explicit:
        return explicit
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / "node_modules" / ".bin" / "wrangler"
        if candidate.exists():
            return str(candidate)
    return shutil.which("wrangler") or "wrangler"


def _kv(args: argparse.Namespace) -> WranglerKv:
    return WranglerKv(_wrangler(), remote=args.remote, env=args.env, persist_to=args.persist_to, config=args.config)


def _author(args: argparse.Namespace) -> str:
    if getattr(args, "author", None):
        return args.author
    if os.environ.get("SWERVE_AUTHOR"):
        return os.environ["SWERVE_AUTHOR"]
    try:
        email = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        email = ""
    return email or getpass.getuser()


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("not a terminal, so nothing can confirm: pass --yes to publish")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise CliError("cancelled: nothing was published")


def _version(label: str) -> int:
    """A version label, 'N' or 'vN', as its number."""
    number = label.removeprefix("v")
    if not number.isdigit():
        raise CliError(f"{label!r}: expected a version number such as 3 or v3")
    return int(number)


def _published(kv: WranglerKv, label: str) -> tuple[dict | None, str]:
    """A stored document by label: 'current', 'N' or 'vN'."""
    if label == "current":
        pointer = publish.read_pointer(kv)
        if pointer is None:
            return None, f"current ({kv.where}: nothing published)"
        return publish.read_version(kv, pointer.version), f"current (v{pointer.version}, {kv.where})"
    version = _version(label)
    return publish.read_version(kv, version), f"v{version} ({kv.where})"


def _side(kv: WranglerKv, label: str) -> tuple[dict | None, str]:
    path = Path(label)
    if label == "current" or label.removeprefix("v").isdigit():
        return _published(kv, label)
    if path.suffix == ".json" and path.is_file():
        return read_compiled(label), label
    return compiled_from_sources([label]), f"{label} (local files)"


def cmd_push(args: argparse.Namespace) -> int:
    document = compiled_from_sources(args.paths or DEFAULT_RULES, strict=args.strict)
    kv = _kv(args)
    pointer = publish.read_pointer(kv)
    if pointer is not None and pointer.hash == document["hash"]:
        print(f"nothing to publish: version {pointer.version} ({kv.where}) already has this content")
        return 0
    old = publish.read_version(kv, pointer.version) if pointer else None
    label = f"v{pointer.version} ({kv.where})" if pointer else f"nothing ({kv.where})"
    print(diff_mod.render(diff_mod.diff(old, document), label, "local rules"))
    now = datetime.datetime.now(datetime.UTC).timestamp()
    broken = [r for r in simulate_mod.simulate(load_ruleset(document), document, 5000, 1, now) if r.breaks_guardrail]
    for result in broken:
        print(
            f"GUARDRAIL: {result.flag} would expose {result.exposed:.1f}% (max_exposure {result.max_exposure:g}%)",
            file=sys.stderr,
        )
    if broken and not args.force:
        raise CliError("a guardrail would break: nothing was published (use --force to publish anyway)")
    _confirm(f"Publish these changes to {kv.where}?", args.yes)
    print(f"publishing to {kv.where}:", file=sys.stderr)
    pointer = publish.push(kv, document, args.message, _author(args), force=args.force, step=_step, before=pointer)
    assert pointer is not None  # identical content returned above, before anything was written
    print(f"published version {pointer.version} ({pointer.hash[:19]}), parent {pointer.parent}")
    if args.remote:
        print("KV is eventually consistent: every location serves it within about 60 seconds.")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    kv = _kv(args)
    target = _version(args.version) if args.version else None
    pointer = publish.rollback(kv, _author(args), target, args.message or "", step=_step)
    print(f"current is now version {pointer.version} (was {pointer.parent})")
    if args.remote:
        print("KV is eventually consistent: every location serves it within about 60 seconds.")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    history, pointer = publish.history_with_pointer(_kv(args))
    print(publish.render_history(history, pointer))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    kv = _kv(args)
    document, _label = _published(kv, args.version or "current")
    if document is None:
        raise CliError(f"nothing is published in {kv.where}")
    _write(canonical_json(document), args.output)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    kv = _kv(args)
    old, label_old = _side(kv, args.a)
    new, label_new = _side(kv, args.b)
    if new is None:
        raise CliError(f"{label_new}: nothing to compare")
    changes = diff_mod.diff(old, new, visitors=args.visitors)
    if args.json:
        print(json.dumps([msgspec.to_builtins(c) for c in changes], indent=2))
    else:
        print(diff_mod.render(changes, label_old, label_new))
    return 0


def _kv_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="local KV, as wrangler dev and Miniflare use (default)")
    where.add_argument("--remote", action="store_true", help="the real namespace in your Cloudflare account")
    parser.add_argument("--env", help="wrangler environment (its own SWERVE_RULES namespace)")
    parser.add_argument("--persist-to", metavar="DIR", help="local KV directory (default: wrangler's .wrangler/state)")
    parser.add_argument("--config", metavar="FILE", help="wrangler.toml to use (default: wrangler's lookup)")


def _rules_args(parser: argparse.ArgumentParser, compiled: bool = False) -> None:
    parser.add_argument("paths", nargs="*", help="rule files or directories (default: rules/)")
    if compiled:
        parser.add_argument("--compiled", metavar="FILE", help="read a compiled ruleset instead of rule files")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="swerve", description="Swerve: edge feature flags and personalization.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check rule files; exit 1 on any error")
    _rules_args(p)
    p.add_argument("--strict", action="store_true", help="treat warnings (expiry, owner) as errors")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date expiry is checked against (default: today)")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("compile", help="write the compiled ruleset JSON")
    _rules_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date expiry is checked against")
    p.set_defaults(run=cmd_compile)

    p = sub.add_parser("schema", help="write the JSON Schema of rule files (for editors)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=cmd_schema)

    p = sub.add_parser("explain", help="show each flag's variant and reasons for one described request")
    _rules_args(p, compiled=True)
    p.add_argument("--url", default="https://example.com/", help="the request URL")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="a request header (repeatable)")
    p.add_argument("--country", help="request.cf country, for example DE")
    p.add_argument("--region", help="request.cf region code")
    p.add_argument("--timezone", help="request.cf time zone, for example Europe/Berlin")
    p.add_argument("--user-id", help="the app's user id")
    p.add_argument("--anonymous-id", default="explain-visitor", help="Swerve's anonymous id (rollout key)")
    p.add_argument("--attr", action="append", default=[], metavar="NAME=VALUE", help="a user.* attribute (repeatable)")
    p.add_argument("--behavior", metavar="JSON", help="behavior summary, for example '{\"sessions\": 3}'")
    p.add_argument("--exposures", metavar="JSON", help="variants seen before, for sticky rollouts")
    p.add_argument("--now", metavar="ISO-TIME", help="evaluate at this time (schedules)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("simulate", help="exposure shares over a synthetic population; exit 1 if a guardrail breaks")
    _rules_args(p, compiled=True)
    p.add_argument("--visitors", type=int, default=10_000, help="population size (default 10000)")
    p.add_argument("--seed", type=int, default=1, help="population seed (default 1)")
    p.add_argument("--now", metavar="ISO-TIME", help="evaluate at this time (schedules)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(run=cmd_simulate)

    p = sub.add_parser("push", help="validate, compile and publish the rules as a new version")
    _rules_args(p)
    _kv_args(p)
    p.add_argument("-m", "--message", required=True, help="what this version changes")
    p.add_argument("--author", help="who pushes (default: SWERVE_AUTHOR, git user.email, or the login name)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--force", action="store_true", help="publish despite a broken guardrail or a moved pointer")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=cmd_push)

    p = sub.add_parser("rollback", help="point current back at the parent version, or at VERSION")
    p.add_argument("version", nargs="?", help="version to make current (default: the current one's parent)")
    _kv_args(p)
    p.add_argument("-m", "--message", help="why (default: rollback from N to M)")
    p.add_argument("--author", help="who rolls back")
    p.set_defaults(run=cmd_rollback)

    p = sub.add_parser("history", help="list published versions; * marks the current one")
    _kv_args(p)
    p.set_defaults(run=cmd_history)

    p = sub.add_parser("pull", help="write a stored compiled ruleset to stdout or a file")
    p.add_argument("version", nargs="?", help="version number (default: current)")
    _kv_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=cmd_pull)

    p = sub.add_parser("diff", help="semantic diff of two rulesets (default: current vs local rules/)")
    p.add_argument("a", nargs="?", default="current", help="current, a version, rule files or a compiled .json")
    p.add_argument("b", nargs="?", default="rules", help="the same kinds (default: rules/)")
    _kv_args(p)
    p.add_argument("--visitors", type=int, default=5000, help="simulated visitors for exposure changes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_diff)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``swerve`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CliError as exc:
        print(f"swerve: {exc}", file=sys.stderr)
        return 1
    except (RulesetError, KvError, publish.PublishError) as exc:
        print(f"swerve: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
