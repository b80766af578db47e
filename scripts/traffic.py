"""Simulated visitors for the demo site, through a running Swerve: real HTTP, real cookies.

Each visitor has their own cookie jar and a browser User-Agent (desktop or mobile), and
walks the demo site the way people do: the home page, sometimes pricing (a few times,
sometimes comparing plans, which page script would post as an event), sometimes the
signup page, and some of them sign up (``/signup/done``, the ``signup`` goal). Whether a
visitor signs up depends on what Swerve showed them, read from the served HTML, so the
report has real differences to find:

- base signup chance 8%;
- the "outcome" hero headline ("Ship the right page to every visitor") makes it x1.5;
- the card pricing page x1.2;
- the free-trial banner x1.2;
- the upgrade offer (``upgrade-cta``, read from the page's bootstrap JSON) by the visitor's
  state, so the adaptive rule has something to learn (``OFFER``):

  | state (share of visitors)                            | standard | trial-no-card | one-tap |
  |------------------------------------------------------|----------|---------------|---------|
  | desktop, fewer than 3 pricing views (39%)            | x3.0     | x1.0          | x0.5    |
  | desktop, hesitant: 3 to 5 pricing views (21%)        | x0.5     | x4.0          | x0.5    |
  | mobile, fewer than 3 pricing views (26%)             | x0.75    | x0.75         | x3.0    |
  | mobile, hesitant (14%)                               | x0.5     | x1.0          | x3.0    |

  so a desktop visitor with few pricing views signs up with 24% on the standard offer
  against 8% and 4% on the others, a hesitant desktop visitor with 32% on the no-card trial
  against 4%, and a mobile one with 24% on one-tap against at most 8% (before the other
  lifts; at most 70% in all);
- nobody signs up on a signup page that failed (the demo's broken one-step signup).

A visitor is desktop (60%) or mobile (40%), hesitant (35%: opens /pricing 3 to 5 times)
or not (0 to 2 times), as real requests: the Worker counts the pricing views itself, so
its context for the offer (``request.device: [mobile]``, ``behavior.events.pricing_view:
[3]`` in rules/flags.yaml) is the visitor's state. 70% then open the signup page and
sign up there with the chance above divided by 0.7 (so the chances above are per
visitor), for the offer their last page showed.

``--learn`` runs ``swerve learn`` after each wave (``--waves N``), once the Worker has
written its counts (``--flush-wait`` seconds; the demo writes them every 5 s) and the
rule's cadence has passed since the previous learn (``--cadence``: the demo's is a
minute), so the next wave meets the learned weights.

The visitors and their choices come from ``--seed``: the same seed walks the same way
(what Swerve shows them still depends on their random anonymous ids). Progress goes to
stderr; a summary to stdout.

Usage: python scripts/traffic.py --url http://127.0.0.1:8787 --visitors 500 [--workers 4]
       [--waves N] [--learn]
"""

import argparse
import datetime
import http.client
import json
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from adapt_population import ARMS

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Mobile/15E148 Safari/604.1"
)
ROOT = Path(__file__).resolve().parent.parent
BASE_SIGNUP = 0.08
# What a visitor saw (a marker in the served HTML) and how it changes their signup chance.
LIFTS = (
    ("hero: outcome", "Ship the right page to every visitor", 1.5),
    ("pricing: cards", 'id="pricing-cards"', 1.2),
    ("trial banner", 'id="trial-banner"', 1.2),
)
MOBILE_SHARE = 0.4
HESITANT_SHARE = 0.35
# The upgrade offer's effect per arm (ARMS order: standard, trial-no-card, one-tap) by (mobile, hesitant).
OFFER = {
    (False, False): (3.0, 1.0, 0.5),
    (False, True): (0.5, 4.0, 0.5),
    (True, False): (0.75, 0.75, 3.0),
    (True, True): (0.5, 1.0, 3.0),
}
STATE_NAMES = {
    (False, False): "desktop, <3 pricing views",
    (False, True): "desktop, 3+ pricing views",
    (True, False): "mobile, <3 pricing views",
    (True, True): "mobile, 3+ pricing views",
}
BOOTSTRAP = re.compile(r'<script type="application/json" id="swerve-flags">(.*?)</script>', re.S)


class Visitor:
    """One simulated person: a cookie jar, a User-Agent, and what they have seen."""

    def __init__(self, base: urllib.parse.SplitResult, mobile: bool, hesitant: bool) -> None:
        self.base = base
        self.mobile = mobile
        self.hesitant = hesitant
        self.user_agent = MOBILE if mobile else DESKTOP
        self.offer: str | None = None  # the upgrade-cta arm of the last page that had one
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
        bootstrap = BOOTSTRAP.search(text)
        if bootstrap:
            offer = json.loads(bootstrap.group(1)).get("upgrade-cta")
            if isinstance(offer, dict) and offer.get("offer") in ARMS:
                self.offer = offer["offer"]
        return text

    def signup_chance(self) -> float:
        """The chance this visitor signs up, given what Swerve showed them and their state."""
        chance = BASE_SIGNUP
        for label, _marker, lift in LIFTS:
            if label in self.seen:
                chance *= lift
        if self.offer is not None:
            chance *= OFFER[(self.mobile, self.hesitant)][ARMS.index(self.offer)]
        return min(chance, 0.7)


def journey(base: urllib.parse.SplitResult, rng: random.Random) -> Visitor:
    """One visitor's walk through the demo site (choices drawn from ``rng``)."""
    visitor = Visitor(base, rng.random() < MOBILE_SHARE, rng.random() < HESITANT_SHARE)
    visitor.request("GET", "/")
    views = rng.randint(3, 5) if visitor.hesitant else rng.choice((0, 0, 1, 2))
    if views:
        for _ in range(views):
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


def wave(base: urllib.parse.SplitResult, rngs: list[random.Random], workers: int) -> list[Visitor]:
    """Walk one visitor per RNG, ``workers`` at a time (OSError when the demo is unreachable)."""
    progress = Progress(len(rngs))

    def walk(rng: random.Random) -> Visitor:
        visitor = journey(base, rng)
        progress.step()
        return visitor

    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        return list(pool.map(walk, rngs))


def summary(visitors: list[Visitor]) -> list[str]:
    """What the visitors were shown and did: statuses, signups, lifts seen, offers per state."""
    statuses: Counter[int] = Counter()
    shown: Counter[str] = Counter()
    offers: Counter[tuple[tuple[bool, bool], str]] = Counter()
    signups: Counter[tuple[tuple[bool, bool], str]] = Counter()
    for visitor in visitors:
        statuses.update(visitor.statuses)
        shown.update(visitor.seen)
        if visitor.offer is not None:
            state = (visitor.mobile, visitor.hesitant)
            offers[(state, visitor.offer)] += 1
            signups[(state, visitor.offer)] += visitor.signed_up
    requests = sum(statuses.values())
    answers = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
    lines = [f"{len(visitors)} visitors, {requests} requests ({answers}), {sum(v.signed_up for v in visitors)} signups"]
    lines += [f"  saw {label}: {shown[label]} visitors" for label, _marker, _lift in LIFTS]
    lines.append("  upgrade offer shown (signups) per state:")
    for state, name in STATE_NAMES.items():
        cells = ", ".join(f"{arm} {offers[(state, arm)]} ({signups[(state, arm)]})" for arm in ARMS)
        lines.append(f"    {name + ':':27} {cells}")
    return lines


# What `swerve learn` prints when a rule's cadence holds it back (with the moment it may learn).
CADENCE_HOLDS = re.compile(r"the cadence allows the next at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def learn(flush_wait: float, not_before: float) -> int:
    """``swerve learn`` on the demo's local state, once the Worker has written its counts and
    the rule's cadence allows it (``not_before``, a ``time.monotonic()`` moment).

    A learn made before this script started (by hand) holds the cadence too: when
    ``swerve learn`` says so, wait until the moment it names and learn once more.
    """
    wait = max(flush_wait, not_before - time.monotonic())
    print(f"waiting {wait:.0f} s (counts written, the cadence passed), then: swerve learn", flush=True)
    time.sleep(wait)
    for _attempt in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "swerve.cli", "learn"], cwd=ROOT, check=False, capture_output=True, text=True
        )
        print(done.stdout, end="", flush=True)
        print(done.stderr, end="", file=sys.stderr, flush=True)
        held = CADENCE_HOLDS.search(done.stdout)
        if done.returncode != 0 or held is None:
            return done.returncode
        moment = datetime.datetime.strptime(held.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.UTC)
        pause = max(0.0, moment.timestamp() - time.time()) + 1
        print(f"waiting {pause:.0f} s for the cadence, then: swerve learn", flush=True)
        time.sleep(pause)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8787", help="Swerve in front of the demo site")
    parser.add_argument("--visitors", type=int, default=300, help="how many visitors per wave (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the visitors' choices (default 1)")
    parser.add_argument("--workers", type=int, default=4, help="visitors walking at the same time (default 4)")
    parser.add_argument("--waves", type=int, default=1, help="waves of --visitors each (default 1)")
    parser.add_argument("--learn", action="store_true", help="run `swerve learn` after each wave")
    parser.add_argument(
        "--flush-wait",
        type=float,
        default=8,
        help="seconds to wait before learning (default 8: the demo flushes every 5 s)",
    )
    parser.add_argument(
        "--cadence", type=float, default=61, help="seconds between two learns (default 61: the demo rule's is 1m)"
    )
    args = parser.parse_args()
    base = urllib.parse.urlsplit(args.url)
    if base.scheme != "http" or not base.hostname:
        print(f"traffic: --url must be http://HOST:PORT, not {args.url!r}", file=sys.stderr)
        return 2
    seeds = random.Random(args.seed)
    not_before = 0.0
    for number in range(1, max(args.waves, 1) + 1):
        rngs = [random.Random(seeds.getrandbits(64)) for _ in range(args.visitors)]
        if args.waves > 1:
            print(f"wave {number} of {args.waves}", flush=True)
        try:
            visitors = wave(base, rngs, args.workers)
        except OSError as exc:
            print(f"\ntraffic: cannot reach {args.url}: {exc} (is `make demo` running?)", file=sys.stderr)
            return 1
        print("\n".join(summary(visitors)), flush=True)
        if args.learn:
            if learn(args.flush_wait, not_before) != 0:
                return 1
            not_before = time.monotonic() + args.cadence
    return 0


if __name__ == "__main__":
    sys.exit(main())
