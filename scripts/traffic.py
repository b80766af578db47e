"""Simulated visitors for the demo site, through a running Swerve: real HTTP, real cookies.

Each visitor has their own cookie jar and a browser User-Agent (desktop or mobile), and
walks the demo site the way people do: the home page, sometimes pricing (a few times,
sometimes comparing plans, which page script would post as an event), sometimes the
signup page, and some of them sign up (``/signup/done``, the ``signup`` goal). Whether a
visitor signs up depends on what Swerve showed them, read from the served HTML, so the
report has real differences to find:

- base signup chance 8% for a visitor who reached the signup page;
- the "outcome" hero headline ("Ship the right page to every visitor") makes it x1.5;
- the card pricing page x1.2;
- the no-card trial offer x1.3;
- the free-trial banner x1.2;
- nobody signs up on a signup page that failed (the demo's broken one-step signup).

The visitors and their choices come from ``--seed``: the same seed walks the same way
(what Swerve shows them still depends on their random anonymous ids). Progress goes to
stderr; a summary to stdout.

Usage: python scripts/traffic.py --url http://127.0.0.1:8787 --visitors 500 [--workers 4]
"""

import argparse
import http.client
import random
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Mobile/15E148 Safari/604.1"
)
BASE_SIGNUP = 0.08
# What a visitor saw (a marker in the served HTML) and how it changes their signup chance.
LIFTS = (
    ("hero: outcome", "Ship the right page to every visitor", 1.5),
    ("pricing: cards", 'id="pricing-cards"', 1.2),
    ("offer: no-card trial", "no card needed", 1.3),
    ("trial banner", 'id="trial-banner"', 1.2),
)


class Visitor:
    """One simulated person: a cookie jar, a User-Agent, and what they have seen."""

    def __init__(self, base: urllib.parse.SplitResult, user_agent: str) -> None:
        self.base = base
        self.user_agent = user_agent
        self.cookies: dict[str, str] = {}
        self.seen: set[str] = set()
        self.statuses: Counter[int] = Counter()
        self.last_status = 0
        self.signed_up = False

    def request(self, method: str, path: str, body: bytes | None = None) -> str:
        """Send one request with this visitor's cookies; keep the cookies it sets; the body text."""
        conn = http.client.HTTPConnection(self.base.hostname, self.base.port or 80, timeout=30)
        headers = {"user-agent": self.user_agent, "accept": "text/html,*/*"}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["content-type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        conn.close()
        self.statuses[response.status] += 1
        self.last_status = response.status
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        for label, marker, _lift in LIFTS:
            if marker in text:
                self.seen.add(label)
        return text

    def signup_chance(self) -> float:
        """The chance this visitor signs up, given what Swerve showed them."""
        chance = BASE_SIGNUP
        for label, _marker, lift in LIFTS:
            if label in self.seen:
                chance *= lift
        return chance


def journey(base: urllib.parse.SplitResult, rng: random.Random) -> Visitor:
    """One visitor's walk through the demo site (choices drawn from ``rng``)."""
    visitor = Visitor(base, MOBILE if rng.random() < 0.4 else DESKTOP)
    visitor.request("GET", "/")
    if rng.random() < 0.6:
        for _ in range(rng.choice((1, 1, 2, 3, 4))):
            visitor.request("GET", "/pricing")
        if rng.random() < 0.4:
            visitor.request("POST", "/__swerve/event", b'{"event": "plans_compared"}')
        visitor.request("GET", "/")
    if rng.random() < 0.2:
        visitor.request("GET", "/docs")
    if rng.random() < 0.7:
        visitor.request("GET", "/signup")
        if visitor.last_status < 500 and rng.random() < visitor.signup_chance() / 0.7:
            visitor.request("GET", "/signup/done")
            visitor.signed_up = True
    return visitor


class Progress:
    """A progress bar on stderr (only when it is a terminal, else a line per 10%)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def step(self) -> None:
        """One visitor finished."""
        with self.lock:
            self.done += 1
            width = 30
            filled = width * self.done // self.total
            line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} visitors"
            if self.tty:
                print("\r" + line, end="" if self.done < self.total else "\n", file=sys.stderr, flush=True)
            elif self.done == self.total or self.done % max(self.total // 10, 1) == 0:
                print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8787", help="Swerve in front of the demo site")
    parser.add_argument("--visitors", type=int, default=300, help="how many visitors (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the visitors' choices (default 1)")
    parser.add_argument("--workers", type=int, default=4, help="visitors walking at the same time (default 4)")
    args = parser.parse_args()
    base = urllib.parse.urlsplit(args.url)
    if base.scheme != "http" or not base.hostname:
        print(f"traffic: --url must be http://HOST:PORT, not {args.url!r}", file=sys.stderr)
        return 2
    seeds = random.Random(args.seed)
    rngs = [random.Random(seeds.getrandbits(64)) for _ in range(args.visitors)]
    progress = Progress(args.visitors)

    def walk(rng: random.Random) -> Visitor:
        visitor = journey(base, rng)
        progress.step()
        return visitor

    try:
        with ThreadPoolExecutor(max_workers=max(args.workers, 1)) as pool:
            visitors = list(pool.map(walk, rngs))
    except OSError as exc:
        print(f"\ntraffic: cannot reach {args.url}: {exc} (is `make demo` running?)", file=sys.stderr)
        return 1
    statuses: Counter[int] = Counter()
    shown: Counter[str] = Counter()
    for visitor in visitors:
        statuses.update(visitor.statuses)
        shown.update(visitor.seen)
    requests = sum(statuses.values())
    answers = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
    print(f"{len(visitors)} visitors, {requests} requests ({answers}), {sum(v.signed_up for v in visitors)} signups")
    for label, _marker, _lift in LIFTS:
        print(f"  saw {label}: {shown[label]} visitors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
