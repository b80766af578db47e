"""Swerve's real entry, plus ``/__heap``: the size of Pyodide's WebAssembly heap (edge_memory.py).

All of Python's memory in the isolate (interpreter, modules, rulesets, evaluators, request
data) lives in that heap; what workerd's resident memory holds beyond it is JavaScript's.
"""

import entry
import pyodide_js
from js import Response


async def on_fetch(request: object, env: object, ctx: object) -> object:
    """Answer ``/__heap`` with the heap's size in bytes; anything else goes to the real entry."""
    if request.url.endswith("/__heap"):
        return Response.new(str(pyodide_js._module.HEAP8.length))
    return await entry.on_fetch(request, env, ctx)
