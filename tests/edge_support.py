"""Real parts for the Worker's integration tests: a local origin, workerd through the
pinned Miniflare (``swerve.local_runtime``) with persisted local KV, and an HTTP client
that keeps cookies like a browser."""

import http.client
import http.server
import json
import threading
import urllib.parse
from pathlib import Path
from typing import ClassVar

from swerve.local_http import QuietHandler
from swerve.local_runtime import LocalEdge as Edge

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "site"
PAGES = {"/": "index.html", "/big": "big.html", "/pricing": "pricing.html", "/pricing-cards": "pricing-cards.html"}
PAGES |= {"/no-head": "no-head.html", "/signup/done": "index.html"}


class OriginHandler(QuietHandler):
    """Fixture pages plus a few special routes; records every path it serves."""

    hits: ClassVar[list[str]] = []

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        OriginHandler.hits.append(path)
        if path == "/logo.png":
            self.send_body(200, (SITE / "logo.png").read_bytes(), "image/png")
        elif path == "/redirect":
            self.send_body(302, b"", "text/html", {"location": "/elsewhere"})
        elif path == "/cached":
            if self.headers.get("if-none-match") == '"v1"':
                self.send_response(304)
                self.send_header("etag", '"v1"')
                self.end_headers()
                return
            body = (SITE / "index.html").read_bytes()
            self.send_body(
                200,
                body,
                "text/html; charset=utf-8",
                {"etag": '"v1"', "cache-control": "public, max-age=60, s-maxage=600"},
            )
        elif path == "/range":
            body = (SITE / "big.html").read_bytes()
            if self.headers.get("range") == "bytes=0-99":
                self.send_body(206, body[:100], "text/html", {"content-range": f"bytes 0-99/{len(body)}"})
            else:
                self.send_body(200, body, "text/html")
        elif path in PAGES:
            self.send_body(
                200,
                (SITE / PAGES[path]).read_bytes(),
                "text/html; charset=utf-8",
                {"cache-control": "public, max-age=60"},
            )
        elif path == "/fail":
            self.send_body(500, b"<!doctype html><title>Broken</title><h1>Broken</h1>", "text/html; charset=utf-8")
        elif path == "/echo":
            self._echo(b"")
        else:
            self.send_body(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        OriginHandler.hits.append(urllib.parse.urlsplit(self.path).path)
        length = int(self.headers.get("content-length") or 0)
        self._echo(self.rfile.read(length))

    def _echo(self, body: bytes) -> None:
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode(),
        }
        self.send_body(200, json.dumps(seen).encode(), "application/json")


class Origin:
    """A threaded HTTP server on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OriginHandler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Response:
    """Status, headers (lower-case names, all values) and body bytes."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


class Client:
    """A visitor: sends a browser User-Agent and keeps the cookies it is given."""

    def __init__(self, edge: Edge, user_agent: str = BROWSER) -> None:
        self.edge = edge
        self.user_agent = user_agent
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        conn = http.client.HTTPConnection(self.edge.url.hostname, self.edge.url.port, timeout=60)
        sent = {"user-agent": self.user_agent, **(headers or {})}
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        raw = conn.getresponse()
        response = Response(raw.status, [(k.lower(), v) for k, v in raw.getheaders()], raw.read())
        conn.close()
        for value in response.all("set-cookie"):
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)
