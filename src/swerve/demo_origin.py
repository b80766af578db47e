"""The demo site's origin: a small static server for ``demo/site`` on 127.0.0.1.

Used by ``make demo``, the browser tests, and ``python -m swerve.demo_origin`` (for
``npx wrangler dev --env local``). Clean URLs map to the HTML files
(``/pricing`` -> ``pricing.html``, ``/signup/done`` -> ``signup-done.html``).
"""

import http.server
import mimetypes
import sys
import threading
import urllib.parse
from pathlib import Path

from .local_http import QuietHandler

SITE = Path(__file__).resolve().parents[2] / "demo" / "site"
ROUTES = {
    "/": "index.html",
    "/pricing": "pricing.html",
    "/pricing-cards": "pricing-cards.html",
    "/signup": "signup.html",
    "/signup/done": "signup-done.html",
    "/docs": "docs.html",
}
# The demo's broken deploy: the one-step signup page of the `signup-flow` flag fails, so
# `swerve advance` has a variant to stop (README, "Measure").
BROKEN = {"/signup-one-step": b"<!doctype html><title>Error</title><h1>Signup is down (the new backend failed)</h1>"}


class _Handler(QuietHandler):
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path in BROKEN:
            self.send_body(500, BROKEN[path], "text/html; charset=utf-8")
            return
        name = ROUTES.get(path) or (path.removeprefix("/") if path.startswith("/static/") else None)
        file = (SITE / name).resolve() if name else None
        if file is None or SITE not in file.parents or not file.is_file():
            self.send_body(
                404, b"<!doctype html><title>Not found</title><h1>Not found</h1>", "text/html; charset=utf-8"
            )
            return
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        self.send_body(200, file.read_bytes(), kind, {"cache-control": "public, max-age=60"})


class DemoOrigin:
    """The demo site served in a background thread."""

    def __init__(self, port: int = 0) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    """``python -m swerve.demo_origin [PORT]``: serve the demo site (default 127.0.0.1:8788) until Ctrl-C."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8788
    origin = DemoOrigin(port)
    print(f"the demo site on {origin.url}/ (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        origin.close()


if __name__ == "__main__":
    main()
