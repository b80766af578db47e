"""Rows of the outcome table as the CLI reads them, whatever the transport (local or remote D1).

One row per ``(flag, variant, context, period, metric)`` with its summed ``count``; the
table is ``swerve_stats`` (``migrations/0001_stats.sql``). ``period`` is the start of a
UTC hour in epoch seconds; ``context`` is empty except for adaptive flags (``<key>`` or
``holdout:<key>``, see ``swerve_edge.context_weights``).
"""

from typing import Any

import msgspec

from swerve_edge.outcomes import CONVERSION, ERROR, EXPOSURE, MISS, PAGE, REQUEST, SKIP

__all__ = ["CONVERSION", "ERROR", "EXPOSURE", "MISS", "PAGE", "REQUEST", "SKIP", "StatRow", "decode_rows"]


class StatRow(msgspec.Struct, frozen=True):
    """One aggregated count."""

    flag: str
    variant: str
    context: str
    period: int
    metric: str
    count: int


def decode_rows(records: Any) -> list[StatRow]:
    """Rows from decoded JSON records (``[{"flag": ..., "count": ...}, ...]``), strictly typed.

    Raises ``msgspec.ValidationError`` naming the bad field when a record does not fit.
    """
    return msgspec.convert(records, list[StatRow])
