"""The visitor's behavioral summary and how one request updates it.

Pure data and arithmetic; ``cookie`` turns it into a signed cookie value and back.
"""

COUNTER_CAP = 999_999  # bounds the digits a counter can add to the cookie


class Summary:
    """What Swerve remembers about a visitor between requests."""

    __slots__ = (
        "contexts",
        "converted",
        "events",
        "exposures",
        "first_seen",
        "last_seen",
        "pageviews",
        "session_pageviews",
        "sessions",
    )

    def __init__(
        self,
        first_seen: int,
        last_seen: int,
        sessions: int = 0,
        pageviews: int = 0,
        session_pageviews: int = 0,
        events: dict[str, int] | None = None,
        exposures: dict[str, str] | None = None,
        converted: dict[str, list[str]] | None = None,
        contexts: dict[str, str] | None = None,
    ) -> None:
        self.first_seen = first_seen
        self.last_seen = last_seen
        self.sessions = sessions
        self.pageviews = pageviews
        self.session_pageviews = session_pageviews
        self.events: dict[str, int] = events if events is not None else {}
        # Insertion order is recency order: the oldest exposure is dropped first when full.
        self.exposures: dict[str, str] = exposures if exposures is not None else {}
        # Goals already counted as a conversion, per exposed flag: each counts once per visitor.
        self.converted: dict[str, list[str]] = converted if converted is not None else {}
        # The context an adaptive exposure was decided in (``<key>`` or ``holdout:<key>``):
        # conversions are recorded under it, and the arm is kept only in the same context.
        self.contexts: dict[str, str] = contexts if contexts is not None else {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Summary) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return "Summary(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"

    def attributes(self, now: int) -> dict[str, object]:
        """The ``behavior.*`` attributes conditions read."""
        return {
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "sessions": self.sessions,
            "pageviews": self.pageviews,
            "session_pageviews": self.session_pageviews,
            "days_since_first_seen": max(0, (now - self.first_seen) // 86400),
            "events": dict(self.events),
        }


def fresh(now: int) -> Summary:
    """A summary for a visitor Swerve has not seen (or whose cookie was not trusted)."""
    return Summary(first_seen=now, last_seen=now)


def record_pageview(summary: Summary, now: int, idle_timeout: int) -> None:
    """Count a page view; a new session starts after ``idle_timeout`` seconds idle (or on the first view)."""
    if summary.sessions == 0 or now - summary.last_seen > idle_timeout:
        summary.sessions = min(summary.sessions + 1, COUNTER_CAP)
        summary.session_pageviews = 0
    summary.pageviews = min(summary.pageviews + 1, COUNTER_CAP)
    summary.session_pageviews = min(summary.session_pageviews + 1, COUNTER_CAP)
    summary.last_seen = max(summary.last_seen, now)


def record_event(summary: Summary, name: str) -> None:
    """Count one occurrence of a declared event."""
    summary.events[name] = min(summary.events.get(name, 0) + 1, COUNTER_CAP)


def record_exposure(summary: Summary, flag: str, variant: str, context: str = "") -> bool:
    """Remember the variant a visitor was shown (in ``context``, for adaptive flags), as the most recent exposure.

    True when this is the visitor's first exposure to this variant of the flag in this
    context (a new unit for the outcome counts). A visitor moved to another variant or
    context starts over: the conversions counted for the old one no longer hold.
    """
    before = summary.exposures.pop(flag, None)
    before_context = summary.contexts.pop(flag, "")
    summary.exposures[flag] = variant
    if context:
        summary.contexts[flag] = context
    if before != variant or before_context != context:
        summary.converted.pop(flag, None)
        return True
    return False


def record_exposures(summary: Summary, exposed: list[tuple[str, str, str]]) -> list[bool]:
    """``record_exposure`` for each ``(flag, variant, context)`` in turn, without a call per item.

    A page decides dozens of flags per request; this is the hot path of recording them.
    """
    exposures = summary.exposures
    contexts = summary.contexts
    converted = summary.converted
    firsts = []
    for flag, variant, context in exposed:
        before = exposures.pop(flag, None)
        exposures[flag] = variant
        before_context = contexts.pop(flag, "") if contexts else ""
        if context:
            contexts[flag] = context
        first = before != variant or before_context != context
        if first and converted:
            converted.pop(flag, None)
        firsts.append(first)
    return firsts


def record_conversion(summary: Summary, flag: str, goal: str) -> bool:
    """Mark ``goal`` as converted for the visitor's exposure to ``flag``; True the first time."""
    done = summary.converted.setdefault(flag, [])
    if goal in done:
        return False
    done.append(goal)
    return True


def drop_exposure(summary: Summary, flag: str) -> None:
    """Forget an exposure, its context and the conversions counted for it (to keep the cookie small)."""
    summary.exposures.pop(flag, None)
    summary.contexts.pop(flag, None)
    summary.converted.pop(flag, None)
