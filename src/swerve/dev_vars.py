"""``.dev.vars``: the local secrets wrangler dev reads, shared by ``make demo`` and the CLI.

A git-ignored file of ``NAME=value`` lines next to wrangler.toml. ``make demo`` creates
it on first run with random development keys; ``swerve init`` does the same for a new
site. Production secrets are never here: they are set with ``wrangler secret put``.
"""

import secrets
from pathlib import Path

FILE = ".dev.vars"
HEADER = (
    "# Local secrets for `npx wrangler dev --env local` and `make demo` (never commit this file).\n"
    "# Production: `npx wrangler secret put SWERVE_COOKIE_KEYS` (and SWERVE_DEBUG_TOKEN).\n"
)


def read(path: Path) -> dict[str, str]:
    """The variables in a ``.dev.vars`` file (empty when there is none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[name.strip()] = value
    return found


def create(path: Path) -> bool:
    """Write a ``.dev.vars`` with random development secrets unless one exists; True when written."""
    if path.exists():
        return False
    path.write_text(
        HEADER + f"SWERVE_COOKIE_KEYS={secrets.token_hex(32)}\n" + f"SWERVE_DEBUG_TOKEN={secrets.token_hex(16)}\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return True
