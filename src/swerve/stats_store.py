"""Reading the outcome table the Worker writes (``swerve_stats`` in the SWERVE_STATS D1).

Local state goes through the command's one Miniflare process, remote through wrangler;
both return the same rows. A database without the table gets the command that creates it.
"""

from typing import Protocol

import msgspec

from .errors import CliError
from .kv import KvError
from .stat_rows import StatRow, decode_rows

SELECT = (
    "SELECT flag, variant, context, period, metric, SUM(count) AS count FROM swerve_stats"
    " GROUP BY flag, variant, context, period, metric"
)


class Database(Protocol):
    """What reading the stats needs from a D1 transport."""

    where: str

    def query(self, sql: str) -> list[dict]: ...


def read_rows(db: Database) -> list[StatRow]:
    """Every aggregated count in the table."""
    try:
        records = db.query(SELECT)
    except KvError as exc:
        if "no such table" in str(exc):
            scope = "--remote" if db.where.startswith("remote") else "--local"
            raise CliError(
                f"{db.where} has no outcome table yet: `npx wrangler d1 migrations apply SWERVE_STATS {scope}`"
            ) from exc
        raise
    try:
        return decode_rows(records)
    except msgspec.ValidationError as exc:
        raise CliError(f"{db.where}: the outcome table holds a row Swerve did not write: {exc}") from exc
