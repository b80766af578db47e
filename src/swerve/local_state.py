"""Local KV and D1 for a whole command through one Node process over Miniflare's storage API.

``scripts/local_state.mjs`` opens wrangler's local state with Miniflare's own
``getKVNamespace``/``getD1Database`` (what ``wrangler kv --local``, ``wrangler d1 execute
--local`` and ``wrangler dev`` use), so a command costs one process start (about 0.4 s)
instead of one wrangler process per operation. The process starts when a command opens a
binding, so it boots while the command compiles, and ends with the command; if the command
is killed, it sees its input close, finishes the operation in hand and exits.
"""

import atexit
import json
import sqlite3
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import CliError
from .kv import KvError
from .wrangler_config import LocalTarget

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "scripts" / "local_state.mjs"

Param = str | int | float | bool | None


class LocalState:
    """The one helper process of a command, for every local binding it touches."""

    def __init__(self, target: LocalTarget, label: str | None = None) -> None:
        self.persist = target.persist
        self.config = target.config or "no wrangler config"
        self.options = {"persist": str(target.persist), "kv": target.kv, "d1": target.d1}
        self.where = f"local ({label or target.persist})"
        self.process: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        try:
            process = subprocess.Popen(
                ["node", str(HELPER), json.dumps(self.options)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                cwd=ROOT,
            )
        except FileNotFoundError as exc:
            raise KvError("failed", "starting the local state helper", f"{exc}: install Node.js 20+") from exc
        atexit.register(self.close)
        return process

    def kv(self, binding: str) -> "LocalKv":
        """The local KV namespace bound as ``binding`` (the helper starts now, in the background)."""
        if binding not in self.options["kv"]:
            raise CliError(f"no KV namespace bound as {binding} in {self.config}: add it under [[kv_namespaces]]")
        self.start()
        return LocalKv(self, binding, self.where)

    def d1(self, binding: str) -> "LocalD1":
        """The local D1 database bound as ``binding`` (the helper starts now, in the background)."""
        if binding not in self.options["d1"]:
            raise CliError(f"no D1 database bound as {binding} in {self.config}: add it under [[d1_databases]]")
        self.start()
        return LocalD1(self, binding, self.where)

    def start(self) -> None:
        """Start the helper, so Miniflare boots while the command does its own work."""
        with self.lock:
            if self.process is None:
                self.process = self._start()

    def call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer; KvError when it fails."""
        with self.lock:
            if self.process is None:
                self.process = self._start()
            process = self.process
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
            if not line:
                process.kill()
                output = process.stderr.read()
                self.process = None
                hint = " (run `make install`: Miniflare comes from node_modules)" if "miniflare" in output else ""
                raise KvError("local", action, f"the local state helper stopped{hint}:\n{output}")
        answer = json.loads(line)
        if "error" in answer:
            raise KvError("local", action, answer["error"])
        return answer

    def close(self) -> None:
        """End the helper after its pending operations (idempotent)."""
        with self.lock:
            process, self.process = self.process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
        finally:
            process.stdout.close()
            process.stderr.close()


class LocalKv:
    """get/put on one local KV namespace, as wrangler dev reads it."""

    def __init__(self, state: LocalState, binding: str, where: str) -> None:
        self.state = state
        self.binding = binding
        self.where = where

    def _idempotent(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        # Miniflare's synchronous proxy channel (under getKVNamespace) now and then trips its
        # own assertion `message?.id === id` while another workerd (wrangler dev, make demo)
        # uses the same state, and stays out of step after it: a KV get or put can safely
        # run again in a new helper.
        try:
            return self.state.call(action, request)
        except KvError as exc:
            if "message?.id === id" not in str(exc):
                raise
            self.state.close()
            return self.state.call(action, request)

    def get(self, key: str) -> str | None:
        """The value of ``key``, or None when KV does not hold it."""
        return self._idempotent(f"reading {key}", {"op": "kv.get", "binding": self.binding, "key": key})["value"]

    def put(self, key: str, value: str) -> None:
        """Write ``value`` under ``key``."""
        self._idempotent(f"writing {key}", {"op": "kv.put", "binding": self.binding, "key": key, "value": value})

    def close(self) -> None:
        """End the helper process (it also ends when the command does)."""
        self.state.close()


def split_statements(script: str) -> list[str]:
    """SQL statements of a script, split where SQLite's own tokenizer says one is complete."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    rest = "\n".join(line for line in current.splitlines() if not line.strip().startswith("--")).strip()
    if rest:
        raise ValueError(f"incomplete SQL statement at the end: {rest[:80]!r}")
    return statements


class LocalD1:
    """A local D1 database, as wrangler dev and ``wrangler d1 execute --local`` see it."""

    def __init__(self, state: LocalState, binding: str, where: str) -> None:
        self.state = state
        self.binding = binding
        self.where = where

    def batch(self, statements: Sequence[tuple[str, Sequence[Param]]]) -> list[list[dict[str, Any]]]:
        """Run statements in one transaction (D1 batch); the rows of each."""
        request = {"op": "d1.batch", "binding": self.binding, "statements": [[s, list(p)] for s, p in statements]}
        answer = self.state.call(f"querying {self.binding}", request)
        return [result["rows"] for result in answer["results"]]

    def query(self, sql: str, params: Sequence[Param] = ()) -> list[dict[str, Any]]:
        """Rows of one statement, as dicts by column name (``?`` placeholders take ``params``)."""
        return self.batch([(sql, params)])[0]

    def execute(self, script: str) -> int:
        """Run every statement of a SQL script (a migration) in one transaction; how many ran."""
        statements = split_statements(script)
        if statements:
            self.batch([(s, ()) for s in statements])
        return len(statements)

    def execute_file(self, path: str | Path) -> int:
        """Run a SQL file such as ``migrations/0001_stats.sql``; how many statements ran."""
        return self.execute(Path(path).read_text(encoding="utf-8"))

    def close(self) -> None:
        """End the helper process (it also ends when the command does)."""
        self.state.close()


_OPEN: dict[tuple, LocalState] = {}


def open_local(target: LocalTarget, label: str | None = None) -> LocalState:
    """The command's helper for ``target``: one process however many bindings it touches."""
    key = (target.persist, tuple(sorted(target.kv.items())), tuple(sorted(target.d1.items())))
    if key not in _OPEN:
        _OPEN[key] = LocalState(target, label)
    return _OPEN[key]
