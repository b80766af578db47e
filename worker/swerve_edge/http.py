"""HTTP details of the edge: cookies in and out, caching headers, the bootstrap script."""

import hmac
import json
import re

ANONYMOUS_COOKIE = "swerve_id"
SUMMARY_COOKIE = "swerve_s"
BOOTSTRAP_ID = "swerve-flags"
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def parse_cookies(header: str) -> dict[str, str]:
    """Cookie header -> name: value (first occurrence wins; malformed pairs are skipped)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies


def valid_anonymous_id(value: str) -> bool:
    """Whether a visitor-sent anonymous id has the shape Swerve writes (never trusted further)."""
    return bool(_ID.match(value))


def set_cookie(name: str, value: str, max_age: int, secure: bool) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure unless on localhost."""
    attributes = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def is_local_host(host: str) -> bool:
    """Hosts where cookies cannot be Secure during development."""
    return host in ("localhost", "127.0.0.1", "[::1]", "::1") or host.endswith(".localhost")


def private_cache_control(origin_value: str) -> str:
    """Cache-Control for a personalized body: never stored by shared caches.

    Keeps the origin's browser-side directives (max-age, no-cache, must-revalidate...) and
    replaces public/s-maxage/proxy-revalidate with ``private``.
    """
    kept = []
    for directive in origin_value.split(","):
        name = directive.strip().split("=", 1)[0].strip().lower()
        if name and name not in ("public", "private", "s-maxage", "proxy-revalidate", "immutable"):
            kept.append(directive.strip())
    return ", ".join(["private", *kept])


def bootstrap_script(values: dict[str, object]) -> str:
    """A JSON script element with the client-visible flag values.

    ``<``, ``>``, ``&`` and the JS line separators are escaped as \\u sequences, so no
    value can close the element or open a comment, and the JSON still parses to the same data.
    """
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    for char, escaped in _SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return f'<script type="application/json" id="{BOOTSTRAP_ID}">{text}</script>'


def token_matches(given: str, secret: str) -> bool:
    """Constant-time comparison; an unset secret never matches."""
    return bool(secret) and hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))
