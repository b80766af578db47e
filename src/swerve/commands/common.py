"""What several command groups share: option parsing, output, the KV transport, the author."""

import argparse
import datetime
import getpass
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..build import compiled_from_sources, read_compiled
from ..errors import CliError
from ..kv import BINDING, WranglerD1, WranglerKv
from ..local_state import LocalD1, LocalKv, LocalState, open_local
from ..wrangler_config import find_config, local_target, read_config

STATS_BINDING = "SWERVE_STATS"

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
    parser.add_argument("--persist-to", metavar="DIR", help="local state (default: wrangler's .wrangler/state)")
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


def default_env(args: argparse.Namespace) -> str | None:
    """``--env``; for local state without it, ``local`` when the wrangler config has [env.local].

    That environment is what runs on this machine (``make demo``, ``wrangler dev --env
    local``), so every local command reads and writes the namespaces those read.
    """
    if args.env or args.remote:
        return args.env
    path = find_config(args.config, Path.cwd())
    return LOCAL_ENV if path is not None and LOCAL_ENV in read_config(path).get("env", {}) else None


def _local(args: argparse.Namespace) -> LocalState:
    target = local_target(args.persist_to, args.config, default_env(args), Path.cwd())
    label = args.persist_to or os.path.relpath(target.persist)
    return open_local(target, label)


def kv_from_args(args: argparse.Namespace) -> WranglerKv | LocalKv:
    """The KV transport the options name: wrangler for --remote; else one local Miniflare process."""
    if args.remote:
        return WranglerKv(wrangler(), remote=True, env=args.env, config=args.config)
    return _local(args).kv(BINDING)


def d1_from_args(args: argparse.Namespace, binding: str = STATS_BINDING) -> LocalD1 | WranglerD1:
    """The D1 database the options name: wrangler for --remote (read-only queries); else the
    command's one local process, shared with KV."""
    if args.remote:
        return WranglerD1(wrangler(), binding, env=args.env, config=args.config)
    return _local(args).d1(binding)


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
