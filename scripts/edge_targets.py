"""What the edge benchmarks run: the origin, Workers in the pinned workerd, and clients.

Shared by bench_edge.py (Swerve against a JS pass-through, a bare Python forwarder and
GrowthBook's edge app) and bench_edge_steps.py (Swerve's entry cut after each step).
"""

import http.client
import http.server
import json
import statistics
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import eval_workload as workload
import yaml

from swerve.build import compiled_from_sources
from swerve.local_http import QuietHandler
from swerve.local_runtime import LocalEdge

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "scripts" / "edge_apps"
PAGE = (ROOT / "tests" / "fixtures" / "site" / "big.html").read_bytes()
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
REWRITES = [
    ("h1.hero-title", {"set_text": "Ship the right page to every visitor"}),
    ("#upgrade-cta", {"set_attribute": {"href": "/trial"}}),
    ("#chat", {"remove": True}),
]
HEADLINE = b"Ship the right page to every visitor"


class PageHandler(QuietHandler):
    def do_GET(self) -> None:
        self.send_body(200, PAGE, "text/html; charset=utf-8")


def start_origin() -> tuple[http.server.ThreadingHTTPServer, str]:
    """The origin: a local HTTP server answering every GET with the 29 KB page."""
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    return origin, f"http://127.0.0.1:{origin.server_address[1]}"


def swerve_variables(origin_url: str) -> dict[str, str]:
    """The Worker variables every benchmark runs Swerve with."""
    return {"ORIGIN_URL": origin_url, "SWERVE_COOKIE_KEYS": "bench-key", "SWERVE_POINTER_TTL_SECONDS": "5"}


def start_baselines(edges: dict[str, LocalEdge], folder: Path, origin_url: str) -> None:
    """Add the JS pass-through (``js``) and the bare Python forwarder (``bare_python``) to ``edges``.

    Each is added as soon as it runs, so the caller's clean-up closes whatever started.
    """
    edges["js"] = LocalEdge(folder / "kv-js", {}, passthrough=origin_url)
    edges["bare_python"] = LocalEdge(folder / "kv-bare", {"ORIGIN_URL": origin_url}, main=APPS / "bare_forwarder.py")


def swerve_document(folder: Path) -> dict:
    """The 50-flag workload; three flags rewrite the page in every variant, five are client-visible."""
    rules = workload.swerve_rules(workload.flags())
    for i, flag in enumerate(rules["flags"].values()):
        flag["rollout_key"] = "user.anonymous_id"
        if i < len(REWRITES):
            selector, action = REWRITES[i]
            for variant in flag["variants"].values():
                variant["html"] = [{"selector": selector, **action}]
        if i % 10 == 0:
            flag["client"] = True
    (folder / "bench.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    return compiled_from_sources([str(folder)])


def growthbook_payload() -> dict:
    """GrowthBook's SDK payload: one visual experiment making the same three page changes, for everyone."""
    mutations = [
        {"selector": "h1.hero-title", "action": "set", "attribute": "html", "value": HEADLINE.decode()},
        {"selector": "#upgrade-cta", "action": "set", "attribute": "href", "value": "/trial"},
        {"selector": "#chat", "action": "set", "attribute": "style", "value": "display:none"},
    ]
    experiment = {
        "key": "hero-headline",
        "changeId": "bench-change",
        "hashAttribute": "id",
        "hashVersion": 2,
        "weights": [0, 1],
        "coverage": 1,
        "urlPatterns": [{"include": True, "type": "simple", "pattern": "/big"}],
        "variations": [{"domMutations": []}, {"domMutations": mutations}],
    }
    return {"features": {}, "experiments": [experiment]}


def bundle_growthbook(folder: Path) -> Path:
    """GrowthBook's edge app bundled with esbuild, as wrangler would (the npm dev dependency)."""
    out = folder / "growthbook.mjs"
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "esbuild"),
            str(APPS / "growthbook.mjs"),
            "--bundle",
            "--format=esm",
            "--platform=browser",
            "--conditions=worker,browser",
            "--log-level=warning",
            f"--outfile={out}",
        ],
        check=True,
        cwd=ROOT,
    )
    return out


class Target:
    """A keep-alive connection to one server under test, keeping the cookies it is given."""

    def __init__(self, name: str, url: str, edge: LocalEdge | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self.name = name
        self.url = url
        self.edge = edge
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.cookie = ""
        self.samples: list[float] = []
        self.sent = 0

    def request(self) -> tuple[float, bytes]:
        """One GET of the page: (milliseconds, body)."""
        headers = {"user-agent": BROWSER}
        if self.cookie:
            headers["cookie"] = self.cookie
        start = time.perf_counter()
        self.conn.request("GET", "/big", headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        self.sent += 1
        if response.status != 200:
            raise SystemExit(f"{self.name}: status {response.status}")
        cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
        if cookies:
            self.cookie = "; ".join(cookies)
        return elapsed, body

    def load(self, clients: int, seconds: float | None = None, requests: int | None = None) -> dict:
        """``clients`` keep-alive clients at once (edge_load.mjs): requests, seconds, errors."""
        options = {"url": self.url + "/big", "clients": clients, "headers": {"user-agent": BROWSER}}
        options.update({"seconds": seconds} if seconds else {"requests": requests})
        proc = subprocess.run(
            ["node", str(ROOT / "scripts" / "edge_load.mjs"), json.dumps(options)],
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        self.sent += result["requests"]
        if result["errors"] or set(result["statuses"]) != {"200"}:
            raise SystemExit(f"{self.name}: failed requests under load: {result}")
        return result

    def rss_mb(self) -> float:
        """Resident memory of this target's workerd, MiB."""
        return self.edge.workerd_rss_bytes() / 2**20


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def interleaved(targets: list[Target], warmup: int, requests: int) -> None:
    """Warm up, then one request to each target in turn, ``requests`` rounds: noise falls on all alike."""
    for _ in range(warmup):
        for target in targets:
            target.request()
    for _ in range(requests):
        for target in targets:
            target.samples.append(target.request()[0])


def throughput(targets: dict[str, Target], clients: int = 8, rounds: int = 3, seconds: float = 2.0) -> dict[str, float]:
    """Requests/s of each target with ``clients`` keep-alive clients: the median of ``rounds``.

    Each round loads every target once in turn, so machine noise falls on all alike.
    """
    runs: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, target in targets.items():
            result = target.load(clients, seconds=seconds)
            runs[name].append(result["requests"] / result["seconds"])
    return {name: statistics.median(values) for name, values in runs.items()}


def rss_after(targets: dict[str, Target], requests: int, clients: int = 8) -> dict[str, float]:
    """workerd's resident memory (MiB) of each target once it has served at least ``requests``."""
    rss = {}
    for name, target in targets.items():
        if target.sent < requests:
            target.load(clients, requests=requests - target.sent)
        rss[name] = target.rss_mb()
    return rss


def cold(target: Target, check: bytes | None = None) -> float:
    """The first request's time (the isolate starts; Python loads); ``check`` must be in the body."""
    elapsed, body = target.request()
    if check is not None and check not in body:
        raise SystemExit(f"{target.name}: the first response does not contain {check!r}: check its setup")
    return elapsed
