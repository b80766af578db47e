"""Where wrangler keeps a binding's local state, resolved the way the pinned wrangler does.

wrangler 3.92 looks for ``wrangler.json``, ``wrangler.jsonc`` or ``wrangler.toml`` from the
working directory upwards (or takes ``--config``), reads the bindings of the top level or of
``[env.NAME]`` (bindings are not inherited by environments), and persists local state under
``--persist-to DIR`` (relative to the working directory) or else ``.wrangler/state`` beside
the config file, as ``DIR/v3/kv`` and ``DIR/v3/d1``. A local KV namespace is identified by
its ``id`` (or ``preview_id`` when it has only that), a local D1 database by its
``preview_database_id`` or else ``database_id``: the same ids ``wrangler kv --local``,
``wrangler d1 execute --local`` and ``wrangler dev`` use, so they all see the same data.
"""

import json
import re
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from .errors import CliError

CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")
STATE_DIR = Path(".wrangler") / "state"


class LocalTarget(NamedTuple):
    """Local state of one command: the state directory and the bindings' local ids."""

    persist: Path
    kv: dict[str, str]
    d1: dict[str, str]
    config: Path | None


def find_config(explicit: str | None, cwd: Path) -> Path | None:
    """``--config`` (must exist), else the nearest wrangler config upwards from ``cwd``."""
    if explicit:
        path = (cwd / explicit).resolve()
        if not path.is_file():
            raise CliError(f"--config {explicit}: no such file")
        return path
    for folder in (cwd, *cwd.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def _strip_jsonc(text: str) -> str:
    # Comments and trailing commas outside strings, as wrangler's JSONC parser accepts them.
    token = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)
    return token.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def read_config(path: Path) -> dict[str, Any]:
    """A wrangler config file as a dict; CliError when it cannot be parsed."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return json.loads(_strip_jsonc(text) if path.suffix == ".jsonc" else text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise CliError(f"{path}: not a readable wrangler config: {exc}") from exc


def _section(config: dict[str, Any], env: str | None, path: Path) -> dict[str, Any]:
    if not env:
        return config
    section = config.get("env", {}).get(env)
    if not isinstance(section, dict):
        raise CliError(f"{path}: no [env.{env}] section: check --env")
    return section


def _kv_id(entry: dict[str, Any], binding: str) -> str:
    ids = [i for i in (entry.get("id"), entry.get("preview_id")) if i]
    if not ids:
        raise CliError(f"{binding} has no namespace id: `npx wrangler kv namespace create {binding}` prints one")
    if len(ids) != 1:
        raise CliError(
            f"{binding} has both a namespace id and a preview_id; wrangler refuses to guess which one local "
            "commands mean: keep one of them in the config used locally (or use --config)"
        )
    return str(ids[0])


def local_target(persist_to: str | None, config: str | None, env: str | None, cwd: Path) -> LocalTarget:
    """Where local commands read and write, exactly as wrangler resolves it."""
    path = find_config(config, cwd)
    persist = (cwd / persist_to).resolve() if persist_to else (path.parent if path else cwd) / STATE_DIR
    if path is None:
        return LocalTarget(persist, {}, {}, None)
    section = _section(read_config(path), env, path)
    kv = {e["binding"]: _kv_id(e, e["binding"]) for e in section.get("kv_namespaces", []) if "binding" in e}
    d1 = {
        e["binding"]: str(e.get("preview_database_id") or e.get("database_id") or e["binding"])
        for e in section.get("d1_databases", [])
        if "binding" in e
    }
    return LocalTarget(persist, kv, d1, path)
