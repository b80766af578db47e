"""The attribute namespace conditions are written against.

The Worker fills these from the request, the identity cookies and the behavioral
summary; the CLI validates condition paths against the same table, so a rule cannot
target an attribute the edge never sets.
"""

REQUEST = {
    "url": "full URL of the request",
    "host": "host name",
    "path": "URL path, starting with /",
    "query": "query parameters: request.query.<name> is the first value",
    "method": "HTTP method, upper case",
    "language": "primary language from Accept-Language, lower case (for example 'de')",
    "referrer_host": "host of the Referer header, empty when none",
    "device": "'mobile', 'tablet', 'desktop' or 'bot', from the User-Agent",
    "bot": "true for crawlers and other bots",
    "country": "ISO 3166 country code from request.cf",
    "region": "region code from request.cf",
    "timezone": "IANA time zone from request.cf",
    "hour": "the visitor's local hour, 0-23",
    "weekday": "the visitor's local weekday, 1 (Monday) to 7 (Sunday)",
}

USER = {
    "id": "the app's user id, from the configured cookie or header",
    "anonymous_id": "Swerve's anonymous visitor id (cookie)",
    "*": "any other attribute the app passes in the configured attributes header",
}

BEHAVIOR = {
    "first_seen": "epoch seconds of the first visit",
    "last_seen": "epoch seconds of the previous request",
    "sessions": "number of sessions (a new one after the idle timeout)",
    "pageviews": "page views in total",
    "session_pageviews": "page views in this session",
    "days_since_first_seen": "whole days since the first visit",
    "events": "behavior.events.<name>: how often a declared event happened",
}

ROOTS = {"request": REQUEST, "user": USER, "behavior": BEHAVIOR}

# Attributes whose value is a mapping: the next path part is free (a query parameter, an event name).
MAPPINGS = frozenset({"request.query", "behavior.events"})


def is_number(path: str) -> bool:
    """Whether the edge always sets ``path`` to a number (every ``behavior.*``, the local hour and weekday).

    Adaptive features cut numbers with edges; the other ``request.*`` attributes are strings
    (cut by a list of values plus "other"); ``request.bot`` is a boolean.
    """
    return path.startswith("behavior.") or path in ("request.hour", "request.weekday")
