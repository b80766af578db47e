"""Validation findings, each pointing at a file, a line and a path inside the document."""

from collections.abc import Sequence

import msgspec

Path = tuple[str | int, ...]


class Diagnostic(msgspec.Struct, frozen=True, kw_only=True):
    """One finding: ``severity`` is "error" or "warning"."""

    file: str
    line: int | None
    path: Path
    message: str
    severity: str = "error"

    def render(self) -> str:
        """``file:line: severity: path: message``, the form editors and CI logs link."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        inside = format_path(self.path)
        return f"{where}: {self.severity}: {inside + ': ' if inside else ''}{self.message}"


def format_path(path: Sequence[str | int]) -> str:
    """``("flags", "hero", "rules", 0)`` -> ``flags.hero.rules[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += part if not text else f".{part}"
    return text
