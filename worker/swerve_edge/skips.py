"""Operations that could not apply, counted per isolate instead of breaking a page.

Once HTMLRewriter streams a page, an exception ends the response early; so an operation
that cannot apply is skipped and counted here, keyed by ``(flag, variant, op index)``:

- once per page for an operation the loader dropped (``operations.Dropped``: an unknown
  action, a selector HTMLRewriter refuses, a name HTML cannot hold);
- once per element for one that failed while the page streamed.

The first skip of each kind is logged (one line until the isolate ends); the counts wait
for ``take()``, which hands them to whatever records outcomes (the D1 metric ``skip:<i>``).
Memory is bounded: past ``max_keys`` keys, new keys are only counted in ``overflow``.
"""

from collections.abc import Callable

Key = tuple[str, str, int]


class Skips:
    """Skip counts of this isolate and the kinds already logged."""

    __slots__ = ("counts", "log", "logged", "max_keys", "overflow")

    def __init__(self, log: Callable[[str], None], max_keys: int = 1000) -> None:
        self.log = log
        self.max_keys = max_keys
        self.counts: dict[Key, int] = {}
        self.logged: set[str] = set()
        self.overflow = 0

    def add(self, flag: str, variant: str, index: int, kind: str, reason: str) -> None:
        """Count one skip of operation ``index`` of ``flag``'s ``variant``; log the first of each kind."""
        key = (flag, variant, index)
        if key in self.counts:
            self.counts[key] += 1
        elif len(self.counts) < self.max_keys:
            self.counts[key] = 1
        else:
            self.overflow += 1
        if kind not in self.logged:
            self.logged.add(kind)
            self.log(
                f"swerve: skipped operation {index} of {flag}={variant} ({kind}): {reason}; "
                "the rest of the page is served (logged once per kind)"
            )

    def take(self) -> dict[Key, int]:
        """The counts so far, cleared."""
        counts = self.counts
        self.counts = {}
        self.overflow = 0
        return counts
