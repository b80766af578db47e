"""Helpers for tests that read what the Worker recorded in its local D1."""

import time
from pathlib import Path

from edge_support import Client, Edge

ROOT = Path(__file__).resolve().parent.parent
# wrangler.toml's SWERVE_STATS database id: the CLI's local state and the Worker share it.
DATABASE = "00000000-0000-0000-0000-000000000000"

# wrangler.toml's SWERVE_RULES namespace id: what `swerve push --persist-to` writes the Worker reads.
NAMESPACE = "00000000000000000000000000000000"

Counts = dict[tuple[str, str, str], int]


def local_edge(persist: Path, variables: dict[str, str]) -> Edge:
    """The Worker in workerd on the CLI's local state at ``persist`` (its KV, and its D1 migrated)."""
    edge = Edge(persist / "v3" / "kv", variables, namespace=NAMESPACE, d1=DATABASE, d1_persist=persist / "v3" / "d1")
    try:
        edge.migrate()
    except BaseException:
        edge.close()
        raise
    return edge


def counts(edge: Edge) -> Counts:
    """(flag, variant, metric) -> count, over every context and hour."""
    rows = edge.d1("SELECT flag, variant, metric, SUM(count) AS n FROM swerve_stats GROUP BY flag, variant, metric")
    return {(r["flag"], r["variant"], r["metric"]): r["n"] for r in rows}


def settle(edge: Edge, want: Counts) -> Counts:
    """D1's counts once ``want`` is there (or after 20 s): pending counts flush on the next request."""
    seen: Counts = {}
    for _ in range(200):
        Client(edge).get("/logo.png")  # any request lets a pending tally flush
        seen = counts(edge)
        if all(seen.get(k) == v for k, v in want.items()):
            return seen
        time.sleep(0.1)
    return seen


def quiet(edge: Edge) -> Counts:
    """D1's counts once two reads a moment apart agree (every pending count flushed)."""
    seen = settle(edge, {})
    for _ in range(100):
        time.sleep(0.2)
        again = settle(edge, {})
        if again == seen:
            return again
        seen = again
    return seen
