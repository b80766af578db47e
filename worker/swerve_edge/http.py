"""HTTP details of the edge: cookies in and out, which requests are page navigations,
caching headers of personalized pages, the size ceiling of rewrites, the bootstrap script."""

import hmac
import json
import re

ANONYMOUS_COOKIE = "swerve_id"
SUMMARY_COOKIE = "swerve_s"
BOOTSTRAP_ID = "swerve-flags"
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Built once (json.dumps with options builds an encoder per call); every request has a bootstrap.
_BOOTSTRAP_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, sort_keys=True)
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))
# lol-html keeps at most 3 MiB of an unfinished start tag; a page that cannot hold such a tag
# cannot make the rewriter stop mid-stream (docs/limits.md).
MAX_REWRITE_BYTES = 3 * 1024 * 1024
NAVIGATION_DESTINATIONS = frozenset({"document", "iframe", "frame"})
# Paths ending in these name files that are not pages, whatever the request says.
ASSET_EXTENSIONS = frozenset({
    "avif", "bmp", "css", "csv", "eot", "gif", "gz", "ico", "jpeg", "jpg", "js", "json", "map",
    "mjs", "mp3", "mp4", "ogg", "otf", "pdf", "png", "rss", "svg", "tar", "ttf", "txt", "wasm",
    "wav", "webm", "webp", "woff", "woff2", "xml", "zip",
})  # fmt: skip
CONDITIONAL_HEADERS = ("if-none-match", "if-modified-since", "if-range")
# Headers that let a cache or a browser reuse a personalized page as if it were the origin's.
SHARED_CACHE_HEADERS = ("cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control")
VALIDATORS = ("etag", "last-modified")


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


def is_page_navigation(method: str, path: str, headers: dict[str, str]) -> bool:
    """Whether a request loads a page (the only kind a variant's ``serve_path`` may redirect).

    Browsers say what they load in ``Sec-Fetch-Dest``: a document or a frame is a page,
    anything else (an image, a script, ``fetch()``) is not. Without it (older browsers,
    crawlers, curl), an ``Accept`` header that does not list ``text/html`` is not a page.
    Either way, a path ending in a known file extension of an asset is not a page.
    """
    if method not in ("GET", "HEAD"):
        return False
    last = path.rsplit("/", 1)[-1]
    if "." in last and last.rsplit(".", 1)[-1].lower() in ASSET_EXTENSIONS:
        return False
    destination = headers.get("sec-fetch-dest", "")
    if destination:
        return destination in NAVIGATION_DESTINATIONS
    accept = headers.get("accept", "")
    return not accept or "text/html" in accept


def conditional_headers(method: str, path: str, headers: dict[str, str]) -> tuple[str, ...]:
    """The conditional headers to drop before asking the origin for a page Swerve personalizes.

    Their validators belong to the origin's page, not to the variant the visitor has cached:
    the origin's 304 would keep whatever variant the browser holds (docs/deploy.md, Caching).
    Requests for anything but a page keep them.
    """
    present = tuple(name for name in CONDITIONAL_HEADERS if name in headers)
    if present and (is_page_navigation(method, path, headers) or "text/html" in headers.get("accept", "")):
        return present
    return ()


def personalized(method: str, status: int, content_type: str, accept: str) -> bool:
    """Whether a response to a request Swerve planned carries (or stands for) this visitor's page.

    GET and HEAD answers of HTML other than redirects (error pages included), and 304s (which
    often carry no Content-Type) to requests that ask for HTML: none of them may be stored by
    shared caches or keep the origin's validators.
    """
    if method not in ("GET", "HEAD"):
        return False
    if status == 304:
        return "text/html" in content_type.lower() or "text/html" in accept
    return (200 <= status < 300 or status >= 400) and "text/html" in content_type.lower()


def too_large_to_rewrite(content_length: str, content_encoding: str) -> bool:
    """Whether the origin announced a body larger than the rewriter can be sure to stream.

    A compressed body's Content-Length says nothing of its decoded size, and a streamed body
    has none: both are rewritten (see docs/limits.md for what that leaves).
    """
    if not content_length.isdigit() or content_encoding.strip().lower() not in ("", "identity"):
        return False
    return int(content_length) > MAX_REWRITE_BYTES


def bootstrap_script(values: dict[str, object]) -> str:
    """A JSON script element with the client-visible flag values, in ASCII.

    Every non-ASCII character is a \\u escape, so the JSON means the same whatever the
    page's charset (character references are not decoded inside ``<script>``), and ``<``,
    ``>``, ``&`` are escaped too, so no value can close the element or open a comment.
    """
    text = _BOOTSTRAP_JSON.encode(values)
    for char, escaped in _SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return f'<script type="application/json" id="{BOOTSTRAP_ID}">{text}</script>'


def token_matches(given: str, secret: str) -> bool:
    """Constant-time comparison; an unset secret never matches."""
    return bool(secret) and hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))
