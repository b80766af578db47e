"""What several command groups share: option parsing, output, the KV transport, the author."""

import argparse
import datetime
import getpass
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from ..build import compiled_from_sources, read_compiled
from ..errors import CliError
from ..kv import WranglerKv

DEFAULT_RULES = ["rules"]


def write_output(data: bytes, output: str | None) -> None:
    """Write to ``output``, or to stdout with a final newline."""
    if output:
        Path(output).write_bytes(data)
        print(f"wrote {output} ({len(data):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")


def today(value: str | None) -> datetime.date | None:
    """``--today`` as a date (None: the real today)."""
    return datetime.date.fromisoformat(value) if value else None


def moment(value: str | None) -> float | None:
    """``--now`` as epoch seconds (None when not given)."""
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CliError(f"--now {value!r}: expected an ISO time such as 2026-12-01T09:00:00Z") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def pairs(values: list[str], sep: str, what: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> ``{"a": "1", "b": "2"}``; CliError on an item without ``sep``."""
    out = {}
    for item in values:
        if sep not in item:
            raise CliError(f"{what} {item!r}: expected NAME{sep}VALUE")
        key, value = item.split(sep, 1)
        out[key.strip()] = value.strip()
    return out


def json_object(text: str | None, name: str) -> dict[str, Any]:
    """An option holding a JSON object ({} when not given)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{name}: not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CliError(f"{name}: expected a JSON object")
    return value


def rules_args(parser: argparse.ArgumentParser, compiled: bool = False) -> None:
    """Positional rule paths, and optionally ``--compiled FILE``."""
    parser.add_argument("paths", nargs="*", help="rule files or directories (default: rules/)")
    if compiled:
        parser.add_argument("--compiled", metavar="FILE", help="read a compiled ruleset instead of rule files")


def document_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The compiled document named by ``--compiled``, or compiled from the rule paths."""
    if getattr(args, "compiled", None):
        return read_compiled(args.compiled)
    return compiled_from_sources(args.paths or DEFAULT_RULES)


LOCAL_ENV = "local"


def kv_args(parser: argparse.ArgumentParser) -> None:
    """Where published rulesets live: local state (default) or the remote namespace."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--local", action="store_true", help="local KV, as make demo and `wrangler dev --env local` use (default)"
    )
    where.add_argument("--remote", action="store_true", help="the real namespace in your Cloudflare account")
    parser.add_argument(
        "--env", help="wrangler environment (default: `local` for local KV when wrangler.toml has [env.local])"
    )
    parser.add_argument("--persist-to", metavar="DIR", help="local KV directory (default: wrangler's .wrangler/state)")
    parser.add_argument("--config", metavar="FILE", help="wrangler.toml to use (default: wrangler's lookup)")


def wrangler() -> str:
    """The project's pinned wrangler (node_modules), else SWERVE_WRANGLER or the one on PATH."""
    explicit = os.environ.get("SWERVE_WRANGLER")
    if explicit:
        return explicit
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / "node_modules" / ".bin" / "wrangler"
        if candidate.exists():
            return str(candidate)
    return shutil.which("wrangler") or "wrangler"


def wrangler_config(config: str | None) -> Path | None:
    """The wrangler.toml in use: ``--config``, else the first one from here up (wrangler's lookup)."""
    if config:
        return Path(config)
    found = (folder / "wrangler.toml" for folder in (Path.cwd(), *Path.cwd().parents))
    return next((path for path in found if path.is_file()), None)


def default_env(args: argparse.Namespace) -> str | None:
    """``--env``; for local KV without it, ``local`` when wrangler.toml has [env.local].

    That environment is what runs on this machine (``make demo``, ``wrangler dev --env
    local``), so every local command reads and writes the KV namespace those read.
    """
    if args.env or args.remote:
        return args.env
    path = wrangler_config(args.config)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return LOCAL_ENV if LOCAL_ENV in config.get("env", {}) else None


def kv_from_args(args: argparse.Namespace) -> WranglerKv:
    """The KV transport the options name."""
    return WranglerKv(
        wrangler(), remote=args.remote, env=default_env(args), persist_to=args.persist_to, config=args.config
    )


def author(args: argparse.Namespace) -> str:
    """Who makes a change: --author, SWERVE_AUTHOR, git's user.email, or the login name."""
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


def confirm(question: str, yes: bool) -> None:
    """Ask on a terminal; without one, only ``--yes`` may go ahead."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("not a terminal, so nothing can confirm: pass --yes to publish")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise CliError("cancelled: nothing was published")


def version_number(label: str) -> int:
    """A version label, 'N' or 'vN', as its number."""
    number = label.removeprefix("v")
    if not number.isdigit():
        raise CliError(f"{label!r}: expected a version number such as 3 or v3")
    return int(number)
