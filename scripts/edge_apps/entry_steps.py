"""Swerve's entry cut after one step, to see what each step costs (bench_edge_steps.py).

``SWERVE_BENCH_STEP`` says how far a request goes before the origin's response is returned
as it came: ``facts`` (config and the request read into ``Facts``), ``plan`` (+ the ruleset
and ``plan_request``: decide every flag, cookies), ``respond`` (+ the response headers and a
new Response, no HTMLRewriter). The full Worker is worker/entry.py itself. Each step calls
the real entry's own helpers, so the cut measures the real code; when entry.py is
restructured, update the helper names below (a missing one fails loudly).
"""

import entry

from swerve_edge.plan import plan_request

STEPS = ("facts", "plan", "respond")


def _helper(name: str) -> object:
    found = getattr(entry, name, None)
    if found is None:
        raise RuntimeError(f"worker/entry.py has no {name}(): update scripts/edge_apps/entry_steps.py")
    return found


_env = _helper("_env")
_facts = _helper("_facts")
_ruleset = _helper("_ruleset")
_fetch_origin = _helper("_fetch_origin")
_respond = _helper("_respond")
_handlers_for = _helper("_handlers_for")
_new_id = _helper("_new_id")


async def on_fetch(request: object, env: object, ctx: object) -> object:
    """Run the entry's steps up to ``SWERVE_BENCH_STEP``, then return the origin's response."""
    step = STEPS.index(str(env.SWERVE_BENCH_STEP))
    config = _env(env)
    facts = _facts(request)
    plan = None
    handlers: dict = {}
    if step >= 1:
        ruleset = await _ruleset(env, config)
        plan = plan_request(ruleset, config, facts, _new_id)
        handlers = _handlers_for(ruleset)
    response = await _fetch_origin(request, config, None)
    if step >= 2:
        return _respond(facts, response, plan._replace(rewrites=[], bootstrap=None), handlers)[0]
    return response
