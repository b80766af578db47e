"""Outcome counts aggregated in isolate memory and turned into one batched D1 upsert.

The Worker adds each request's counts here and, at most every flush interval or sooner
when ``max_keys`` keys are pending, hands ``take()`` to ``upsert_statements`` and sends
the statements as one ``D1Database.batch`` after the response (``ctx.waitUntil``). When
counts wait and no flush is due yet, one flush is scheduled for when the interval ends,
so they land even if no request follows. An isolate evicted before its next flush loses
at most that interval of its own counts.
A failed flush puts its counts back while they fit under the bound, and drops (and
counts) the rest, so a broken D1 can never grow memory without limit.
"""

from collections.abc import Iterable, Mapping

from .outcomes import Count

PERIOD_SECONDS = 3600
# D1 binds at most 100 parameters per statement: 16 rows of 6.
ROWS_PER_STATEMENT = 16
UPSERT_HEAD = "INSERT INTO swerve_stats (flag, variant, context, period, metric, count) VALUES "
UPSERT_TAIL = (
    " ON CONFLICT (flag, variant, context, period, metric) DO UPDATE SET count = swerve_stats.count + excluded.count"
)

Key = tuple[str, str, str, int, str]


def period_of(now: float) -> int:
    """The start of the UTC hour holding ``now`` (epoch seconds): the row's ``period``."""
    return int(now) // PERIOD_SECONDS * PERIOD_SECONDS


class Tally:
    """Pending counts of this isolate, keyed by (flag, variant, context, period, metric)."""

    __slots__ = ("dropped", "flushing", "interval", "last_flush", "max_keys", "pending", "scheduled")

    def __init__(self, interval: float, max_keys: int, now: float) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self.pending: dict[Key, int] = {}
        self.last_flush = now
        self.flushing = False
        # A flush is waiting for the interval to pass (so counts land even when traffic stops).
        self.scheduled = False
        self.dropped = 0

    def add(self, counts: Iterable[Count], now: float) -> None:
        """Add one to each count, in the period of ``now``."""
        # One pass (a request brings a count per exposed flag): as add_totals, one at a time.
        period = period_of(now)
        pending = self.pending
        bound = 4 * self.max_keys
        for flag, variant, context, metric in counts:
            key = (flag, variant, context, period, metric)
            if key in pending:
                pending[key] += 1
            elif len(pending) < bound:
                pending[key] = 1
            else:
                self.dropped += 1

    def add_totals(self, totals: Mapping[Count, int], now: float) -> None:
        """Add ``totals[count]`` to each count, in the period of ``now``."""
        period = period_of(now)
        pending = self.pending
        for (flag, variant, context, metric), n in totals.items():
            key = (flag, variant, context, period, metric)
            if key in pending:
                pending[key] += n
            elif len(pending) < 4 * self.max_keys:
                pending[key] = n
            else:
                # A flush is long overdue (D1 failing): bound memory, remember the loss.
                self.dropped += n

    def due(self, now: float) -> bool:
        """Whether to flush now: something pending, none in flight, and the interval or bound reached."""
        if not self.pending or self.flushing:
            return False
        return now - self.last_flush >= self.interval or len(self.pending) >= self.max_keys

    def wait(self, now: float) -> float | None:
        """Seconds until a flush is due, when one should be scheduled now: counts pending, none
        scheduled or in flight (None otherwise)."""
        if not self.pending or self.flushing or self.scheduled:
            return None
        return max(0.0, self.interval - (now - self.last_flush))

    def take(self, now: float) -> dict[Key, int]:
        """Hand over everything pending for one flush."""
        taken, self.pending = self.pending, {}
        self.last_flush = now
        self.flushing = True
        return taken

    def done(self, taken: dict[Key, int], ok: bool) -> None:
        """After a flush: on failure, put its counts back while they fit under the bound."""
        self.flushing = False
        if ok:
            return
        for key, count in taken.items():
            if key in self.pending:
                self.pending[key] += count
            elif len(self.pending) < 4 * self.max_keys:
                self.pending[key] = count
            else:
                self.dropped += count


def upsert_statements(taken: dict[Key, int]) -> list[tuple[str, list]]:
    """SQL and parameters of the upserts for ``taken``, at most 16 rows per statement."""
    rows = sorted(taken.items())
    statements = []
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        params: list = []
        for (flag, variant, context, period, metric), count in chunk:
            params.extend((flag, variant, context, period, metric, count))
        values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk))
        statements.append((UPSERT_HEAD + values + UPSERT_TAIL, params))
    return statements
