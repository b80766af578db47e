"""Real pages, a local origin and hand-made compiled rulesets for the reliability tests.

The pages are the Python documentation's HTML (``tests/fixtures/pydoc``, PSF license), a
few hundred KB of real markup each, served as they are and in the shapes real sites take:
re-encoded as windows-1252 with the charset only in ``<meta>`` or only in the header, with
a second ``<head>`` start tag, and with one start tag larger than lol-html's buffer.

Rulesets are written in the compiled format directly (``document``), as a newer CLI or a
hand edit in KV could: the edge must cope with what ``swerve validate`` would refuse.
"""

import http.server
import threading
import urllib.parse
from email.utils import formatdate
from typing import ClassVar

from conftest import FIXTURES

from swerve.local_http import QuietHandler
from swerve_edge.digest import content_hash
from swerve_edge.ruleset import FORMAT

PYDOC = FIXTURES / "pydoc"
FUNCTIONS = (PYDOC / "functions.html").read_bytes()
RE_PAGE = (PYDOC / "re.html").read_bytes()
# The tail every complete copy of functions.html ends with (nothing a test rewrites).
TAIL = FUNCTIONS[FUNCTIONS.rindex(b'<div class="footer">') :]
ETAG = '"doc-v1"'
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)
PNG = (FIXTURES / "site" / "logo.png").read_bytes()
MIB = 1 << 20


MAIN = b'<div class="body" role="main">'


def windows_1252(page: bytes) -> bytes:
    """``page`` (UTF-8) re-encoded as windows-1252, its ``<meta charset>`` saying so, with an
    element whose class is not ASCII (``#umlaut``)."""
    text = page.decode("utf-8").replace('<meta charset="utf-8" />', '<meta charset="windows-1252" />', 1)
    text = text.replace(MAIN.decode(), MAIN.decode() + '<p id="umlaut" class="grün">Grün</p>', 1)
    return text.encode("cp1252", "xmlcharrefreplace")


def with_second_head(page: bytes) -> bytes:
    """``page`` with a second ``<head>`` start tag after the first head (browsers ignore it)."""
    return page.replace(b"</head>", b'</head>\n<head>\n<meta name="second-head" content="yes">\n</head>', 1)


def with_huge_tag(page: bytes, size: int) -> bytes:
    """``page`` with an ``<img id="huge">`` whose ``data:`` URI makes the start tag ``size`` bytes."""
    return page.replace(MAIN, MAIN + b'<img id="huge" src="data:image/png;base64,' + b"A" * size + b'">', 1)


class _Handler(QuietHandler):
    pages: ClassVar[dict[str, tuple[bytes, str]]] = {}
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        _Handler.seen.append((path, headers))
        if path not in self.pages:
            self.send_body(404, b"<!doctype html><title>Not found</title>", "text/html; charset=utf-8")
            return
        body, content_type = self.pages[path]
        if not content_type.startswith("text/html"):
            self.send_body(200, body, content_type, {"cache-control": "public, max-age=600", "etag": '"asset"'})
            return
        cache = {
            "etag": ETAG,
            "last-modified": LAST_MODIFIED,
            "cache-control": "public, max-age=600, s-maxage=3600",
            "cdn-cache-control": "max-age=3600",
            "surrogate-control": "max-age=3600",
        }
        if headers.get("if-none-match") == ETAG or headers.get("if-modified-since") == LAST_MODIFIED:
            self.send_response(304)
            for name, value in cache.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_body(200, body, content_type, cache)


class PageOrigin:
    """A threaded origin on 127.0.0.1 serving the real pages; records each request's headers."""

    def __init__(self) -> None:
        utf8 = "text/html; charset=utf-8"
        latin = windows_1252(FUNCTIONS)
        _Handler.pages = {
            "/doc": (FUNCTIONS, utf8),
            "/re": (RE_PAGE, utf8),
            "/two-heads": (with_second_head(FUNCTIONS), utf8),
            "/latin1-meta": (latin, "text/html"),
            "/latin1-header": (latin, "text/html; charset=iso-8859-1"),
            "/huge-tag": (with_huge_tag(FUNCTIONS, 3 * MIB + 400 * 1024), utf8),
            "/shop": (RE_PAGE, utf8),
            "/shop-b": (FUNCTIONS, utf8),
            "/shop/logo.png": (PNG, "image/png"),
            "/shop/app.js": (b"console.log('shop');", "text/javascript; charset=utf-8"),
            "/shop/feed": (b'{"items": []}', "application/json"),
        }
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def pages(self) -> dict[str, tuple[bytes, str]]:
        return _Handler.pages

    def requests_for(self, path: str) -> list[dict[str, str]]:
        """The headers of every request the origin received for ``path``."""
        return [headers for seen, headers in _Handler.seen if seen == path]

    def forget(self) -> None:
        _Handler.seen.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def flag(key: str, variants: dict[str, dict], rules: list[dict] | None = None, **fields: object) -> dict:
    """A compiled flag: ``variants`` maps a key to its spec (``ops``, ``value``, ``serve_path``)."""
    spec = {"key": key, "variants": [{"key": name, **variant} for name, variant in variants.items()]}
    spec["default"] = next(iter(variants))
    spec["rules"] = rules if rules is not None else [{"variant": list(variants)[-1]}]
    spec["rollout_key"] = "user.anonymous_id"
    spec["seed"] = key
    spec["control"] = spec["default"]
    return spec | fields


def document(flags: list[dict], events: list[dict] | None = None, segments: list[dict] | None = None) -> dict:
    """A compiled ruleset document (current format) holding ``flags``, with its content hash."""
    compiled = {"format": FORMAT, "hash": "", "flags": flags, "segments": segments or [], "events": events or []}
    compiled["hash"] = content_hash(compiled)
    return compiled
