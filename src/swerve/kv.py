"""Workers KV and D1 through the project's pinned wrangler (the ``--remote`` transport).

Authentication is wrangler's own (``CLOUDFLARE_API_TOKEN`` or ``wrangler login``); the
namespace is the ``SWERVE_RULES`` binding of wrangler.toml and the database the
``SWERVE_STATS`` binding (per ``--env``). Failures are classified (not authenticated,
rate limited, network, other) and a 429 from the one-write-per-second-per-key limit is
retried with exponential backoff.
"""

import json
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BINDING = "SWERVE_RULES"
_NOT_FOUND = "Value not found"
_KINDS = (
    ("rate-limited", re.compile(r"\b429\b|too many requests|rate.?limit", re.I)),
    (
        "not-authenticated",
        re.compile(
            r"not authenticated|authentication error|\b10000\b|wrangler login|invalid api token|\b401\b|\b403\b", re.I
        ),
    ),
    ("network", re.compile(r"fetch failed|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|network", re.I)),
    ("not-found", re.compile(r"namespace.*not found|could not find.*namespace|\b10013\b|binding.*not found", re.I)),
)
_HINTS = {
    "rate-limited": "KV allows one write per second per key; retried with backoff and still limited",
    "not-authenticated": "set CLOUDFLARE_API_TOKEN (scope: Workers KV Storage Edit) or run `npx wrangler login`",
    "network": "wrangler could not reach Cloudflare; check the connection and retry",
    "not-found": f"check the {BINDING} binding and its namespace id in wrangler.toml (and --env)",
    "local": "reported by the local state helper (Miniflare) over wrangler's local state",
}


class KvError(Exception):
    """A transport failure, with its kind and wrangler's own words."""

    def __init__(self, kind: str, action: str, output: str) -> None:
        self.kind = kind
        self.output = output.strip()
        hint = _HINTS.get(kind, "see wrangler's output above")
        last = self.output.splitlines()[-1] if self.output else "no output"
        super().__init__(f"{action}: {kind}: {last} ({hint})")


def classify(output: str) -> str:
    """The kind of a wrangler failure from its output."""
    for kind, pattern in _KINDS:
        if pattern.search(output):
            return kind
    return "failed"


Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


class _Wrangler:
    """One wrangler subcommand, retried on rate limits and failing with a classified KvError."""

    base: list[str]
    scope: list[str]
    runner: "Runner"
    sleep: Callable[[float], None]
    retries: int

    def _call(self, action: str, args: list[str]) -> str:
        delay = 1.0
        for attempt in range(self.retries + 1):
            try:
                result = self.runner([*self.base, *args, *self.scope])
            except FileNotFoundError as exc:
                raise KvError(
                    "failed", action, f"{exc}: run `make install` (wrangler comes from node_modules)"
                ) from exc
            except subprocess.TimeoutExpired as exc:
                raise KvError("network", action, "wrangler did not answer within 120 s") from exc
            output = (result.stdout or "") + (result.stderr or "")
            if result.returncode == 0:
                return result.stdout
            kind = classify(output)
            if kind != "rate-limited" or attempt == self.retries:
                raise KvError(kind, action, output)
            self.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")


class WranglerKv(_Wrangler):
    """get/put on the SWERVE_RULES namespace, locally (``--persist-to``) or remotely."""

    def __init__(
        self,
        wrangler: str,
        remote: bool = False,
        env: str | None = None,
        persist_to: str | None = None,
        config: str | None = None,
        runner: Runner = _run,
        sleep: Callable[[float], None] = time.sleep,
        retries: int = 5,
    ) -> None:
        self.base = [wrangler, "kv", "key"]
        self.scope = ["--binding", BINDING, "--remote" if remote else "--local"]
        if env:
            self.scope += ["--env", env]
        if persist_to and not remote:
            self.scope += ["--persist-to", persist_to]
        if config:
            self.scope += ["--config", config]
        self.runner = runner
        self.sleep = sleep
        self.retries = retries
        self.where = "remote" if remote else f"local ({persist_to or '.wrangler/state'})"

    def get(self, key: str) -> str | None:
        """The value of ``key``, or None when KV does not hold it."""
        out = self._call(f"reading {key}", ["get", key])
        # wrangler 3 answers a missing key with this line and exit status 0.
        if out.strip() == _NOT_FOUND:
            return None
        return out

    def put(self, key: str, value: str) -> None:
        """Write ``value`` (through a file, so size is not limited by the command line)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "value"
            path.write_text(value, encoding="utf-8")
            self._call(f"writing {key}", ["put", key, "--path", str(path)])


class WranglerD1(_Wrangler):
    """Read-only SQL on the remote SWERVE_STATS database: ``wrangler d1 execute --remote --json``."""

    def __init__(
        self,
        wrangler: str,
        binding: str,
        env: str | None = None,
        config: str | None = None,
        runner: Runner = _run,
        sleep: Callable[[float], None] = time.sleep,
        retries: int = 5,
    ) -> None:
        self.base = [wrangler, "d1", "execute", binding]
        self.scope = ["--remote", "--json"]
        if env:
            self.scope += ["--env", env]
        if config:
            self.scope += ["--config", config]
        self.runner = runner
        self.sleep = sleep
        self.retries = retries
        self.where = f"remote ({binding})"

    def query(self, sql: str) -> list[dict]:
        """The rows of one statement (wrangler's command line binds no parameters: constant SQL only)."""
        out = self._call("querying D1", ["--command", sql])
        try:
            answers = json.loads(out)
            return list(answers[-1]["results"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise KvError("failed", "querying D1", f"unexpected answer from wrangler: {out[:200]}") from exc
