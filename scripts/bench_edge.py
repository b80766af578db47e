"""Benchmark: latency Swerve adds at the edge, cold start and memory, in workerd.

In one run, on this machine, sequential requests for a realistic 30 KB page go to:
  (a) the origin directly (a local Python HTTP server),
  (b) a JavaScript pass-through Worker in the same runtime (pinned Miniflare/workerd),
  (c) Swerve with 50 flags (two targeting rules and a rollout each), 3 HTML rewrites and
      the client bootstrap.
Requests are interleaved a, b, c so machine noise falls on all three alike; each path
gets a warm-up first. Swerve's added latency is (c) - (b) per percentile. Also reported:
the first request after start (cold), and workerd's resident memory after 100 and after
5,000 requests to Swerve.

Usage: python scripts/bench_edge.py [--requests N] [--json]
"""

import argparse
import http.client
import http.server
import json
import statistics
import sys
import tempfile
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
PAGE = (ROOT / "tests" / "fixtures" / "site" / "big.html").read_bytes()
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
REWRITES = [
    ("h1.hero-title", {"set_text": "Ship the right page to every visitor"}),
    ("#upgrade-cta", {"set_attribute": {"href": "/trial"}}),
    ("#chat", {"remove": True}),
]


class PageHandler(QuietHandler):
    def do_GET(self) -> None:
        self.send_body(200, PAGE, "text/html; charset=utf-8")


def ruleset(folder: Path) -> dict:
    """The 50-flag workload; three flags rewrite the page in every variant, five are client-visible."""
    rules = workload.swerve_rules(workload.flags())
    for i, (key, flag) in enumerate(rules["flags"].items()):
        flag["rollout_key"] = "user.anonymous_id"
        if i < len(REWRITES):
            selector, action = REWRITES[i]
            for variant in flag["variants"].values():
                variant["html"] = [{"selector": selector, **action}]
        if i % 10 == 0:
            flag["client"] = True
        rules["flags"][key] = flag
    (folder / "bench.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    return compiled_from_sources([str(folder)])


class Target:
    """A keep-alive connection to one path under test."""

    def __init__(self, name: str, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.name = name
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookie = ""
        self.samples: list[float] = []

    def request(self) -> tuple[float, bytes]:
        headers = {"user-agent": BROWSER}
        if self.cookie:
            headers["cookie"] = self.cookie
        start = time.perf_counter()
        self.conn.request("GET", "/big", headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"{self.name}: status {response.status}")
        cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
        if cookies:
            self.cookie = "; ".join(cookies)
        return elapsed, body


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="measured requests per path (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up requests per path (default 50)")
    parser.add_argument("--memory-requests", type=int, default=5000, help="requests before the second memory reading")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    origin_url = f"http://127.0.0.1:{origin.server_address[1]}"
    variables = {"ORIGIN_URL": origin_url, "SWERVE_COOKIE_KEYS": "bench-key", "SWERVE_POINTER_TTL_SECONDS": "5"}
    with tempfile.TemporaryDirectory() as tmp:
        document = ruleset(Path(tmp))
        passthrough = LocalEdge(Path(tmp) / "kv-pass", {}, passthrough=origin_url)
        swerve = LocalEdge(Path(tmp) / "kv", variables)
        try:
            swerve.publish(document, 1)
            edge_url = f"http://{swerve.url.hostname}:{swerve.url.port}"
            swerve_target = Target("swerve", edge_url)
            cold_ms, body = swerve_target.request()
            rewritten = b"Ship the right page" in body and b'id="swerve-flags"' in body and b'id="chat"' not in body
            if not rewritten:
                raise SystemExit("Swerve did not rewrite the page: check the ruleset")
            targets = [
                Target("origin", origin_url),
                Target("passthrough", f"http://{passthrough.url.hostname}:{passthrough.url.port}"),
                swerve_target,
            ]
            for _ in range(args.warmup):
                for target in targets:
                    target.request()
            for _ in range(args.requests):
                for target in targets:
                    target.samples.append(target.request()[0])
            done = args.warmup + args.requests + 1
            while done < 100:
                swerve_target.request()
                done += 1
            rss_100 = swerve.workerd_rss_bytes()
            while done < args.memory_requests:
                swerve_target.request()
                done += 1
            rss_after = swerve.workerd_rss_bytes()
        finally:
            passthrough.close()
            swerve.close()
            origin.shutdown()

    stats = {t.name: {q: percentile(t.samples, q) for q in (50, 95, 99)} for t in targets}
    print(f"page: {len(PAGE):,} bytes; {len(document['flags'])} flags, {len(REWRITES)} rewrites + bootstrap")
    print(f"{args.requests} measured requests per path after {args.warmup} warm-up, interleaved")
    for name, values in stats.items():
        mean = statistics.fmean(next(t for t in targets if t.name == name).samples)
        spread = "  ".join(f"p{q} {values[q]:6.2f} ms" for q in (50, 95, 99))
        print(f"{name:>12}: {spread}  mean {mean:6.2f} ms")
    added = {q: stats["swerve"][q] - stats["passthrough"][q] for q in (50, 95, 99)}
    print("Swerve adds over the pass-through Worker: " + ", ".join(f"p{q} {added[q]:.2f} ms" for q in (50, 95, 99)))
    growth = (rss_after - rss_100) / 2**20
    print(f"cold first request: {cold_ms:.1f} ms")
    before, after = rss_100 / 2**20, rss_after / 2**20
    print(f"workerd RSS: {before:.1f} MiB after 100 requests, {after:.1f} MiB after {done:,} ({growth:+.1f} MiB)")
    if args.json:
        print(
            json.dumps(
                {
                    "added_p50_ms": round(added[50], 3),
                    "added_p95_ms": round(added[95], 3),
                    "added_p99_ms": round(added[99], 3),
                    "origin_p50_ms": round(stats["origin"][50], 3),
                    "passthrough_p50_ms": round(stats["passthrough"][50], 3),
                    "swerve_p50_ms": round(stats["swerve"][50], 3),
                    "cold_ms": round(cold_ms, 1),
                    "rss_after_100_mb": round(rss_100 / 2**20, 1),
                    "rss_after_n_mb": round(rss_after / 2**20, 1),
                    "rss_growth_mb": round(growth, 2),
                    "requests_for_memory": done,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
