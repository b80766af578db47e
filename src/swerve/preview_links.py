"""Making preview links: the forced pairs checked against a live document, the TTL, the site.

The token itself is the edge's (``swerve_edge.preview.encode``): one implementation signs
what the Worker verifies. What is here is what only the CLI needs: reading ``FLAG=VARIANT``
and ``--ttl``, checking the pairs against the live version, and writing the link's address.
"""

import datetime
import difflib
import re
import urllib.parse
from typing import Any, NamedTuple

from swerve_edge.preview import MAX_FORCED, MAX_TTL, PREVIEW_PATH

from .errors import CliError

# Where the Worker listens on this machine: wrangler dev's default port, and make demo's.
LOCAL_SITE = "http://127.0.0.1:8787"
MIN_TTL = 60
_TTL = re.compile(r"(\d+)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """``--ttl`` (``90s``, ``30m``, ``1h``, ``2d`` or seconds) in seconds, within the allowed range."""
    match = _TTL.fullmatch(text.strip().lower())
    if match is None:
        raise CliError(f"--ttl {text!r}: expected a duration such as 30m, 1h or 2d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < MIN_TTL:
        raise CliError(f"--ttl {text}: at least 1m")
    if seconds > MAX_TTL:
        raise CliError(f"--ttl {text}: at most {MAX_TTL // 86400}d (the link works for anyone who has it until then)")
    return seconds


def parse_pairs(items: list[str]) -> dict[str, str]:
    """``FLAG=VARIANT`` arguments as a dict; CliError on a malformed or repeated flag."""
    forced: dict[str, str] = {}
    for item in items:
        flag, sep, variant = item.partition("=")
        flag, variant = flag.strip(), variant.strip()
        if not sep or not flag or not variant:
            raise CliError(f"{item!r}: expected FLAG=VARIANT, e.g. hero-headline=outcome")
        if flag in forced and forced[flag] != variant:
            raise CliError(f"{flag} is forced twice ({forced[flag]} and {variant}): pick one")
        forced[flag] = variant
    if len(forced) > MAX_FORCED:
        raise CliError(f"a preview forces at most {MAX_FORCED} flags")
    return forced


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`? " if close else ""


def check_pairs(document: dict[str, Any], forced: dict[str, str], page_path: str, now: float) -> list[str]:
    """Check ``forced`` against a compiled document (CliError on an unknown flag or variant);
    returns notes on what the preview will show differently from what the rules say."""
    flags = {f["key"]: f for f in document.get("flags", [])}
    states = document.get("state", {}).get("flags", {})
    notes = []
    for key, variant in forced.items():
        flag = flags.get(key)
        if flag is None:
            hint = _suggest(key, sorted(flags))
            raise CliError(f"no flag `{key}` in the live version ({hint}`swerve status` lists them)")
        variants = [v["key"] for v in flag["variants"]]
        if variant not in variants:
            hint = _suggest(variant, variants)
            raise CliError(f"`{variant}` is not a variant of {key} ({hint}its variants: {', '.join(variants)})")
        if flag.get("killed") or states.get(key, {}).get("killed"):
            notes.append(f"{key} is killed: the preview shows {variant} anyway")
        schedule = flag.get("schedule") or {}
        if (schedule.get("start") is not None and now < schedule["start"]) or (
            schedule.get("end") is not None and now >= schedule["end"]
        ):
            notes.append(f"{key} is outside its schedule now: the preview shows {variant} anyway")
        if flag.get("paths") and not re.match(flag["paths"], page_path):
            notes.append(f"{key} does not apply on {page_path}: open a page in its paths to see it")
    return notes


class Target(NamedTuple):
    """Where the link goes: the site's origin (scheme and host) and the page on it."""

    site: str
    page: str


def _route_hosts(config: dict[str, Any]) -> list[str]:
    routes = config.get("routes") or ([config["route"]] if config.get("route") else [])
    hosts = []
    for route in routes:
        pattern = route.get("pattern", "") if isinstance(route, dict) else str(route)
        host = pattern.split("://", 1)[-1].split("/", 1)[0]
        if host and "*" not in host and host not in hosts:
            hosts.append(host)
    return hosts


def target(url: str | None, remote: bool, config: dict[str, Any] | None) -> Target:
    """The site and page of ``--url``: a full address, or a path on the local Worker (or, with
    ``--remote``, on the one route of the wrangler config)."""
    parts = urllib.parse.urlsplit(url or "/")
    page = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not page.startswith("/"):
        raise CliError(f"--url {url}: expected a full address (https://www.example.com/pricing) or a path (/pricing)")
    if parts.scheme and parts.netloc:
        if parts.scheme not in ("http", "https"):
            raise CliError(f"--url {url}: expected an http or https address")
        return Target(f"{parts.scheme}://{parts.netloc}", page)
    if parts.scheme or parts.netloc:
        raise CliError(f"--url {url}: expected a full address (https://www.example.com/pricing) or a path (/pricing)")
    if not remote:
        return Target(LOCAL_SITE, page)
    hosts = _route_hosts(config or {})
    if len(hosts) != 1:
        raise CliError(
            "--url: give the page's full address (https://www.example.com/pricing): "
            "the wrangler config has no single route host to take it from"
        )
    return Target(f"https://{hosts[0]}", page)


def _to(page: str) -> str:
    return urllib.parse.quote(page, safe="/")


def preview_link(where: Target, token: str) -> str:
    """The link that starts the preview and opens the page."""
    return f"{where.site}{PREVIEW_PATH}?t={token}&to={_to(where.page)}"


def clear_link(where: Target) -> str:
    """The link that ends a preview in the browser that opens it, and opens the page."""
    return f"{where.site}{PREVIEW_PATH}?clear=1&to={_to(where.page)}"


def utc(epoch: float) -> str:
    """An epoch time as ``2026-11-22 14:05 UTC``."""
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
