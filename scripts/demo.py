"""`make demo`: the demo site behind Swerve, running in the local Workers runtime.

Starts the demo origin, publishes rules/ to local KV (.wrangler/demo), starts the Worker
in workerd through the pinned Miniflare, prints the URLs and what to try, and stops
everything on Ctrl-C.
"""

import argparse
import secrets
import signal
import socket
import sys
import threading
import tomllib
from pathlib import Path

from swerve import publish
from swerve.build import compiled_from_sources
from swerve.commands.publishing import STEP_LABELS
from swerve.demo_origin import DemoOrigin
from swerve.errors import CliError
from swerve.kv import KvError, WranglerKv
from swerve.local_runtime import LocalEdge

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".wrangler" / "demo"


def free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def namespace_id() -> str:
    config = tomllib.loads((ROOT / "wrangler.toml").read_text())
    return next(ns["id"] for ns in config["kv_namespaces"] if ns["binding"] == "SWERVE_RULES")


def secret(name: str) -> str:
    """A development secret kept in .wrangler/demo (never used in production)."""
    path = STATE / name
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        print(f"  generated a development {name} in {path.relative_to(ROOT)}")
    return path.read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8787, help="the Worker's port (default 8787)")
    parser.add_argument("--origin-port", type=int, default=8788, help="the demo origin's port (default 8788)")
    parser.add_argument("--idle-seconds", type=int, default=30, help="idle time that starts a new session (default 30)")
    args = parser.parse_args()
    for port, option in ((args.port, "PORT"), (args.origin_port, "ORIGIN_PORT")):
        if not free(port):
            print(
                f"swerve: port {port} is already in use (another `make demo` or `wrangler dev`?): "
                f"stop it, or pick another port: make demo {option}=<port>",
                file=sys.stderr,
            )
            return 1
    STATE.mkdir(parents=True, exist_ok=True)
    print("Starting the Swerve demo")
    cookie_keys = secret("cookie-key")
    debug_token = secret("debug-token")
    origin = DemoOrigin(args.origin_port)
    print(f"  demo origin on {origin.url}")
    try:
        document = compiled_from_sources(["rules"])
        kv = WranglerKv(
            str(ROOT / "node_modules" / ".bin" / "wrangler"), persist_to=str(STATE), config=str(ROOT / "wrangler.toml")
        )
        print("  publishing rules/ to local KV (.wrangler/demo)")
        pushed = publish.push(
            kv, document, "make demo", "demo", force=True, step=lambda s: print(f"    {STEP_LABELS[s]}")
        )
        current = publish.read_pointer(kv)
        print(f"  live ruleset: version {current.version}" + ("" if pushed else " (unchanged)"))
    except (CliError, KvError, publish.PublishError) as exc:
        origin.close()
        print(f"swerve: {exc}", file=sys.stderr)
        return 1
    print("  starting the Worker in workerd (pinned Miniflare, offline)")
    variables = {
        "ORIGIN_URL": origin.url,
        "SWERVE_COOKIE_KEYS": cookie_keys,
        "SWERVE_DEBUG_TOKEN": debug_token,
        "SWERVE_SESSION_IDLE_SECONDS": str(args.idle_seconds),
        "SWERVE_POINTER_TTL_SECONDS": "1",
    }
    edge = LocalEdge(STATE / "v3" / "kv", variables, namespace=namespace_id(), port=args.port)
    url = f"http://127.0.0.1:{args.port}"
    print(
        f"""
Swerve is in front of the demo site:  {url}/
The origin without Swerve:            {origin.url}/

Things to try:
  - {url}/ shows one of two hero headlines (50/50); a private window may show the other.
  - Visit {url}/pricing three times, wait {args.idle_seconds} s (a new session), open pricing again
    and click "Compare plans", then go home: the upgrade button now offers a trial with no card,
    in the page's HTML itself (view source: no flicker).
  - {url}/docs: page script reads the docs-search flag from the bootstrap JSON.
  - Why each variant: curl -s -o /dev/null -D - -H 'Swerve-Debug: {debug_token}' {url}/
  - Change a rule in rules/, then publish it and reload:
      .venv/bin/swerve push --persist-to .wrangler/demo -m "my change" --yes
    and undo it: .venv/bin/swerve rollback --persist-to .wrangler/demo

Ctrl-C stops the Worker and the origin.
""",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        if edge.process.poll() is not None:
            print("swerve: the Worker runtime stopped:\n" + edge.logs(), file=sys.stderr)
            break
    edge.close()
    origin.close()
    print("stopped the Worker and the demo origin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
