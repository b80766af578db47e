"""``.dev.vars``: the local secrets wrangler dev reads, shared by ``make demo`` and the CLI.

A git-ignored file of ``NAME=value`` lines next to wrangler.toml. ``make demo`` creates
it on first run with random development keys (and adds any it lacks, so a file from an
older checkout gains the ones added since); ``swerve init`` does the same for a new site.
Production secrets are never here: they are set with ``wrangler secret put``.
"""

import secrets
from pathlib import Path

FILE = ".dev.vars"
HEADER = (
    "# Local secrets for `npx wrangler dev --env local` and `make demo` (never commit this file).\n"
    "# Production: `npx wrangler secret put SWERVE_COOKIE_KEYS` (and SWERVE_DEBUG_TOKEN, SWERVE_PREVIEW_KEY).\n"
)
# Each development secret and how many random bytes it gets.
SECRETS = {"SWERVE_COOKIE_KEYS": 32, "SWERVE_DEBUG_TOKEN": 16, "SWERVE_PREVIEW_KEY": 32}


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
    values = "".join(f"{name}={secrets.token_hex(n)}\n" for name, n in SECRETS.items())
    path.write_text(HEADER + values, encoding="utf-8")
    path.chmod(0o600)
    return True


def complete(path: Path) -> list[str]:
    """Add a random development value for each secret an existing ``.dev.vars`` lacks; their names."""
    present = read(path)
    missing = [name for name in SECRETS if name not in present]
    if missing and path.exists():
        text = path.read_text(encoding="utf-8")
        lines = "".join(f"{name}={secrets.token_hex(SECRETS[name])}\n" for name in missing)
        path.write_text(text + ("" if text.endswith("\n") or not text else "\n") + lines, encoding="utf-8")
        return missing
    return []
