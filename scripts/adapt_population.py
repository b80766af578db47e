"""A synthetic population whose best upgrade offer depends on behavioral state.

Used by ``scripts/bench_adapt.py`` (and meant for the demo's traffic): every visitor is in
one state, drawn from the shares below, and converts on the upgrade offer they are shown
with that state's rate for that arm. Rates are a few percent, like real upgrades.

Arms: ``standard`` (the usual paid plan), ``trial-no-card`` (a 14-day trial without a
card), ``one-tap`` (upgrade with the phone's wallet in one tap).

A state is a device (desktop 55%, mobile 40%, tablet 5%), whether the visitor is
returning (50%: 2 to 5 sessions, else their first session) and whether they are hesitant
(3 to 6 pricing page views, else 0 to 2; 35% of returning visitors, 10% of first-time
ones). The best arm per state:

- first-time desktop and tablet visitors: the standard offer (4.0% against 2.5% and 2.0%);
- hesitant returning desktop and tablet visitors: the no-card trial (6.0% against 2.0%);
- mobile visitors: one-tap (4.0 to 5.0% against at most 3.5%);
- the rest are closer calls (returning, not hesitant: standard 3.5%, trial 2.5%).

Swerve sees the state through three features (``FEATURES``): the device, the sessions and
the pricing views, which is exactly what decides the rates here; a policy that ignores
them can at best give everyone the single arm that is best on average.
"""

import random
from typing import NamedTuple

ARMS = ("standard", "trial-no-card", "one-tap")
# The adaptive rule's features, in the order the bench's rules declare them.
FEATURES = {"request.device": ["mobile", "tablet"], "behavior.sessions": [2], "behavior.events.pricing_view": [3]}
DEVICES = (("desktop", 0.55), ("mobile", 0.40), ("tablet", 0.05))
RETURNING = 0.5
HESITANT = {False: 0.10, True: 0.35}  # share of hesitant visitors among first-time / returning ones

USER_AGENTS = {
    "desktop": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Mobile/15E148 Safari/604.1",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/604.1",
}

# Conversion rates per arm (ARMS order) by (mobile, returning, hesitant); tablets as desktops.
RATES = {
    (False, False, False): (0.040, 0.025, 0.020),
    (False, False, True): (0.035, 0.030, 0.020),
    (False, True, False): (0.035, 0.025, 0.020),
    (False, True, True): (0.020, 0.060, 0.020),
    (True, False, False): (0.020, 0.015, 0.040),
    (True, False, True): (0.020, 0.020, 0.040),
    (True, True, False): (0.020, 0.020, 0.045),
    (True, True, True): (0.015, 0.035, 0.050),
}


class State(NamedTuple):
    """One visitor's behavioral state and what it implies."""

    device: str
    returning: bool
    hesitant: bool

    @property
    def rates(self) -> tuple[float, float, float]:
        """The conversion rate of each arm (ARMS order) for this state."""
        return RATES[(self.device == "mobile", self.returning, self.hesitant)]

    @property
    def best(self) -> int:
        """The index of the arm that converts best in this state (the oracle's choice)."""
        rates = self.rates
        return max(range(len(rates)), key=rates.__getitem__)


def states() -> list[tuple[State, float]]:
    """Every state with its share of visitors (the shares sum to 1)."""
    out = []
    for device, device_share in DEVICES:
        for returning in (False, True):
            visit_share = RETURNING if returning else 1 - RETURNING
            for hesitant in (False, True):
                share = HESITANT[returning] if hesitant else 1 - HESITANT[returning]
                out.append((State(device, returning, hesitant), device_share * visit_share * share))
    return out


def draw(rng: random.Random) -> State:
    """One visitor's state."""
    device = rng.choices([d for d, _ in DEVICES], [s for _, s in DEVICES])[0]
    returning = rng.random() < RETURNING
    return State(device, returning, rng.random() < HESITANT[returning])


def behavior(state: State, rng: random.Random) -> tuple[int, int]:
    """``(sessions, pricing page views)`` of a visitor in ``state``, before the request that decides."""
    sessions = rng.randint(2, 5) if state.returning else 1
    views = rng.randint(3, 6) if state.hesitant else rng.randint(0, 2)
    return sessions, views


def pages(state: State, rng: random.Random) -> list[list[str]]:
    """The pages a visitor opens to arrive in ``state`` over real requests, one list per session.

    Every session starts on the home page; the pricing views fall in any session; the last
    session ends on the home page, where the visitor is decided in their state. Sessions
    are separated by more than the Worker's ``SWERVE_SESSION_IDLE_SECONDS``.
    """
    sessions, views = behavior(state, rng)
    walk = [["/"] for _ in range(sessions)]
    for _ in range(views):
        walk[rng.randrange(sessions)].append("/pricing")
    walk[-1].append("/")
    return walk


def expected_rate(weights_by_state: dict[State, list[float]]) -> float:
    """The population's conversion rate when visitors in each state get arms by these shares (summing to 1)."""
    return sum(share * sum(w * r for w, r in zip(weights_by_state[s], s.rates, strict=True)) for s, share in states())
