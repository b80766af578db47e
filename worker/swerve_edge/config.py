"""Worker configuration from vars and secrets (wrangler.toml ``[vars]``, ``wrangler secret``)."""

from collections.abc import Callable
from typing import NamedTuple

from .cookie import parse_keys


class Config(NamedTuple):
    """Everything the Worker reads from its environment, with defaults."""

    origin_url: str
    pointer_ttl: float
    idle_timeout: int
    cookie_max_age: int
    user_id_cookie: str
    user_id_header: str
    user_attributes_cookie: str
    consent_cookie: str
    cookie_keys: list[bytes]
    debug_token: str
    stats_flush: float
    stats_max_keys: int
    # Preview links (``preview``): the keys that sign them (none: previews are off), and the badge.
    preview_keys: tuple[bytes, ...] = ()
    preview_badge: bool = True


def _number(read: Callable[[str], str], name: str, default: float, low: float, high: float) -> float:
    text = read(name)
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return min(max(value, low), high)


def load_config(read: Callable[[str], str]) -> Config:
    """Build the config; ``read(name)`` returns a var or secret as a string ('' when unset)."""
    return Config(
        origin_url=read("ORIGIN_URL").rstrip("/"),
        pointer_ttl=_number(read, "SWERVE_POINTER_TTL_SECONDS", 5, 0, 300),
        idle_timeout=int(_number(read, "SWERVE_SESSION_IDLE_SECONDS", 1800, 1, 86400)),
        cookie_max_age=int(_number(read, "SWERVE_COOKIE_MAX_AGE_DAYS", 180, 1, 400) * 86400),
        user_id_cookie=read("SWERVE_USER_ID_COOKIE"),
        user_id_header=read("SWERVE_USER_ID_HEADER").lower(),
        user_attributes_cookie=read("SWERVE_USER_ATTRIBUTES_COOKIE"),
        consent_cookie=read("SWERVE_CONSENT_COOKIE"),
        cookie_keys=parse_keys(read("SWERVE_COOKIE_KEYS")),
        debug_token=read("SWERVE_DEBUG_TOKEN"),
        stats_flush=_number(read, "SWERVE_STATS_FLUSH_SECONDS", 30, 0, 3600),
        stats_max_keys=int(_number(read, "SWERVE_STATS_MAX_KEYS", 200, 1, 5000)),
        preview_keys=tuple(parse_keys(read("SWERVE_PREVIEW_KEY"))),
        preview_badge=read("SWERVE_PREVIEW_BADGE").strip().lower() != "off",
    )
