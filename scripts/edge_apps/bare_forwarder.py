"""A bare Python Worker: forward the request to the origin and return its response.

The benchmark's measure of Python's own tax in workerd (no Swerve code at all): the same
origin fetch as Swerve's entry, nothing else.
"""

from js import URL, Object, Request, fetch
from pyodide.ffi import to_js

_options: list = []


async def on_fetch(request: object, env: object, ctx: object) -> object:
    """Forward to ORIGIN_URL with the visitor's method, path, headers and body."""
    url = URL.new(request.url)
    origin = URL.new(env.ORIGIN_URL)
    url.protocol = origin.protocol
    url.host = origin.host
    if not _options:
        _options.append(to_js({"redirect": "manual"}, dict_converter=Object.fromEntries))
    return await fetch(Request.new(url.toString(), request), _options[0])
