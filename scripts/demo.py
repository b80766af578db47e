"""`make demo`: the demo site behind Swerve, running in the local Workers runtime.

Starts the demo origin, publishes rules/ to local KV when they differ from what is live
(saying so, with the diff), starts the Worker in workerd through the pinned Miniflare
with `[env.local]` of wrangler.toml and the secrets of `.dev.vars`, prints the URLs and
what to try, and stops everything on Ctrl-C. Its state is wrangler's default local state
(.wrangler/state), the one every local `swerve` command and `wrangler dev --env local` use.
"""

import argparse
import datetime
import os
import signal
import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

from swerve import dev_vars, publish
from swerve import diff as diff_mod
from swerve import status as status_mod
from swerve.build import compiled_from_sources
from swerve.commands.common import LOCAL_ENV, kv_from_args, wrangler
from swerve.demo_origin import DemoOrigin
from swerve.errors import CliError
from swerve.kv import KvError
from swerve.live_state import carry_forward
from swerve.local_runtime import LocalEdge

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".wrangler" / "state"
CONFIG = ROOT / "wrangler.toml"
# curl and other tools count as bots (defaults, no cookies): the hint sends a browser's User-Agent.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def free(port: int) -> bool:
    with socket.socket() as probe:
        # As servers do: connections of a just-stopped demo (TIME_WAIT) do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def local_env() -> dict:
    """`[env.local]` of wrangler.toml: what `wrangler dev --env local` runs too."""
    return tomllib.loads(CONFIG.read_text())["env"][LOCAL_ENV]


def migrate_stats() -> str:
    """Create or update the outcome table in the local D1, the wrangler way; its database id."""
    command = [
        wrangler(), "d1", "migrations", "apply", "SWERVE_STATS", "--local", "--env", LOCAL_ENV, "--config", str(CONFIG)
    ]  # fmt: skip
    # CI=1: wrangler asks nothing and prints no spinner.
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=180, env={**os.environ, "CI": "1"}
    )
    if result.returncode != 0:
        raise CliError(f"applying migrations/ to the local D1 failed:\n{result.stdout}{result.stderr}")
    return next(db["database_id"] for db in local_env()["d1_databases"] if db["binding"] == "SWERVE_STATS")


def publish_rules(kv: object) -> publish.Pointer:
    """Publish rules/ unless the live version already has them; say what changes when it does."""
    compiled = compiled_from_sources([str(ROOT / "rules")])
    pointer = publish.read_pointer(kv)
    live = publish.read_version(kv, pointer.version) if pointer else None
    document, notes = carry_forward(compiled, live)
    if pointer is not None and pointer.hash == document["hash"]:
        print(f"  live ruleset: version {pointer.version}, the same as rules/")
        return pointer
    if pointer is None:
        print("  publishing rules/ to local KV as the first version")
    else:
        print(f"  rules/ differs from the live version {pointer.version}: publishing rules/ as a new version")
        text = diff_mod.render(diff_mod.diff(live, document), f"v{pointer.version} (live)", "rules/")
        print("\n".join("    " + line for line in text.splitlines()[2:]))
        for note in notes:
            print(f"    live state: {note}")
    pushed = publish.push(kv, document, "make demo: rules/ changed", "make demo", force=True)
    assert pushed is not None
    if pointer is not None:
        print(f"  live ruleset: version {pushed.version} (back to the previous one: .venv/bin/swerve rollback)")
    else:
        print(f"  live ruleset: version {pushed.version}")
    return pushed


def rollouts(document: dict) -> list[str]:
    """One line per rollout flag, with the weights the edge uses now (from the live document)."""
    today = datetime.datetime.now(datetime.UTC).date()
    lines = []
    for flag in status_mod.flag_statuses(document, today):
        described = status_mod.describe(flag)
        if flag.killed or not described:
            continue
        where = ", ".join(flag.paths) or "every path"
        lines.append(f"  - {flag.key} ({where}): " + "; ".join(described))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8787, help="the Worker's port (default 8787)")
    parser.add_argument("--origin-port", type=int, default=8788, help="the demo origin's port (default 8788)")
    args = parser.parse_args()
    for port, option in ((args.port, "PORT"), (args.origin_port, "ORIGIN_PORT")):
        if not free(port):
            print(
                f"swerve: port {port} is already in use (another `make demo` or `wrangler dev`?): "
                f"stop it, or pick another port: make demo {option}=<port>",
                file=sys.stderr,
            )
            return 1
    print("Starting the Swerve demo")
    if dev_vars.create(ROOT / dev_vars.FILE):
        print(f"  created {dev_vars.FILE} with development secrets (cookie, debug, preview keys); git ignores it")
    for name in dev_vars.complete(ROOT / dev_vars.FILE):
        print(f"  added a development {name} to {dev_vars.FILE}")
    secrets = dev_vars.read(ROOT / dev_vars.FILE)
    env = local_env()
    origin = DemoOrigin(args.origin_port)
    print(f"  demo origin on {origin.url}")
    kv = kv_from_args(argparse.Namespace(remote=False, env=None, persist_to=None, config=str(CONFIG)))
    try:
        pointer = publish_rules(kv)
        document = publish.read_version(kv, pointer.version)
        database = migrate_stats()
        print("  outcome counts go to the local D1 (migrations/ applied with wrangler)")
    except (CliError, KvError, publish.PublishError) as exc:
        origin.close()
        print(f"swerve: {exc}", file=sys.stderr)
        return 1
    finally:
        kv.close()  # the Worker and every swerve command open the state themselves
    print("  starting the Worker in workerd (pinned Miniflare, offline), [env.local] of wrangler.toml")
    variables = {**env.get("vars", {}), **secrets, "ORIGIN_URL": origin.url}
    namespace = next(ns["id"] for ns in env["kv_namespaces"] if ns["binding"] == "SWERVE_RULES")
    edge = LocalEdge(
        STATE / "v3" / "kv", variables, namespace=namespace, port=args.port, d1=database, d1_persist=STATE / "v3" / "d1"
    )
    url = f"http://127.0.0.1:{args.port}"
    token = secrets.get("SWERVE_DEBUG_TOKEN", "")
    print(
        f"""
Swerve is in front of the demo site:  {url}/
The origin without Swerve:            {origin.url}/

Rollouts live now (version {pointer.version}; `.venv/bin/swerve status` shows every flag):
"""
        + "\n".join(rollouts(document))
        + f"""
  A visitor keeps the variant they saw while it keeps a share (sticky rollouts): a private
  window is a new visitor.

Things to try:
  - The upgrade button adapts: it learns per context (mobile or not, 3+ pricing views or
    fewer) which offer gets signups. Teach it, then be a hesitant visitor (open {url}/pricing
    three times, then go home): most likely a trial with no card, in the page's HTML itself
    (view source: no flicker).
      .venv/bin/python scripts/traffic.py --visitors 500 --waves 2 --learn
      .venv/bin/swerve explain --from current --anonymous-id visitor-2 --behavior '{{"events": {{"pricing_view": 3}}}}'
  - {url}/docs: page script reads the docs-search flag from the bootstrap JSON.
  - Why each variant (curl counts as a bot unless it sends a browser's User-Agent):
      curl -s -o /dev/null -D - -A '{BROWSER}' \\
        -H 'Swerve-Debug: {token}' {url}/
  - Send 400 simulated visitors, then see what each variant did, and act on it:
      .venv/bin/python scripts/traffic.py --visitors 400
      .venv/bin/swerve report            (--html out/report.html for charts)
      .venv/bin/swerve advance           (moves ramps, stops variants that break a guardrail)
  - Change a rule in rules/, then publish it and reload:
      .venv/bin/swerve push -m "my change" --yes
    see what is live: .venv/bin/swerve status; undo it: .venv/bin/swerve rollback

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
