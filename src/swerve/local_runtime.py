"""Running the Worker locally in workerd (pinned Miniflare) from Python.

Starts ``scripts/edge_runtime.mjs`` and talks to its KV control endpoint. Used by the
integration tests and the edge benchmark.
"""

import http.client
import json
import os
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from swerve_edge.digest import canonical_json
from swerve_edge.loader import POINTER_KEY, ruleset_key

from .local_state import split_statements

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "scripts" / "edge_runtime.mjs"


class LocalEdge:
    """Swerve (or a JS pass-through baseline) in workerd, with persisted local KV."""

    def __init__(
        self,
        persist: Path,
        variables: dict[str, str],
        passthrough: str | None = None,
        namespace: str | None = None,
        port: int = 0,
        d1: str | None = None,
        d1_persist: Path | None = None,
        main: Path | None = None,
        esm: Path | None = None,
        kv_aliases: tuple[str, ...] = (),
        runtime: Path | None = None,
    ) -> None:
        """Start the runtime; ``main`` (a Python entry file) or ``esm`` (a JS bundle) replace the Worker.

        ``runtime`` is another checkout's ``scripts/edge_runtime.mjs``: its ``worker/`` is served
        (``scripts/bench_edge_ab.py`` compares commits this way)."""
        options = {
            "persist": str(persist),
            "vars": variables,
            "passthrough": passthrough,
            "namespace": namespace,
            "port": port,
            "d1": d1,
            "d1Persist": str(d1_persist) if d1_persist else None,
            "main": str(main) if main else None,
            "esm": str(esm) if esm else None,
            "kvAliases": list(kv_aliases),
        }
        self.process = subprocess.Popen(
            ["node", str(runtime or RUNTIME), json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the local runtime did not start: " + self.process.stderr.read())
        # The Worker's log, read as it comes so tests can look at it while the runtime runs.
        self._log: list[str] = []
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        ready = json.loads(line)
        self.url = urllib.parse.urlsplit(ready["url"])
        self.control = urllib.parse.urlsplit(ready["control"])

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self._log.append(line)

    def logs(self) -> str:
        """What the runtime has logged to stderr so far."""
        return "".join(self._log)

    def logged(self, text: str, timeout: float = 10.0) -> bool:
        """Whether ``text`` appears in the runtime's stderr within ``timeout`` seconds.

        workerd's stderr reaches us through a reader thread, so a line logged while a
        response was built can arrive just after the response does.
        """
        deadline = time.monotonic() + timeout
        while text not in self.logs():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def put(self, key: str, value: str) -> None:
        """Write one KV value through the runtime's control endpoint."""
        conn = http.client.HTTPConnection(self.control.hostname, self.control.port, timeout=30)
        conn.request("PUT", "/kv/" + urllib.parse.quote(key, safe=""), body=value.encode())
        status = conn.getresponse().status
        conn.close()
        if status != 204:
            raise RuntimeError(f"KV write of {key!r} failed with status {status}")

    def _control(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.control.hostname, self.control.port, timeout=30)
        conn.request(method, path, body=body)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def d1(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of one statement on the Worker's SWERVE_STATS database (started with ``d1``)."""
        status, data = self._control("POST", "/d1", json.dumps({"sql": sql, "params": params or []}).encode())
        if status != 200:
            raise RuntimeError(f"D1 query failed with status {status}: {data.decode(errors='replace')}")
        return json.loads(data) or []

    def migrate(self) -> None:
        """Apply migrations/ to the Worker's SWERVE_STATS database, each statement in order."""
        for path in sorted((ROOT / "migrations").glob("*.sql")):
            for statement in split_statements(path.read_text(encoding="utf-8")):
                self.d1(statement)

    def publish(self, document: dict, version: int) -> None:
        """Store a compiled ruleset as ``version`` and point ``current`` at it."""
        self.put(ruleset_key(version), canonical_json(document).decode())
        self.put(POINTER_KEY, json.dumps({"version": version, "hash": document["hash"]}))

    def workerd_rss_bytes(self) -> int:
        """Resident memory of the workerd process serving this runtime."""
        for line in Path(f"/proc/{self._workerd_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("the workerd process has no VmRSS line")

    def workerd_cpu_seconds(self) -> float:
        """CPU time (user + system) the workerd process serving this runtime has used so far."""
        fields = Path(f"/proc/{self._workerd_pid()}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _workerd_pid(self) -> int:
        for pid in _children(self.process.pid):
            try:
                if "workerd" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                    return pid
            except OSError:
                continue
        raise RuntimeError("no workerd process found under the runtime")

    def close(self) -> str:
        """Stop the runtime; returns what it logged to stderr."""
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._reader.join(timeout=10)
        return self.logs()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
                found.extend(_children(int(entry)))
    return found
