"""What ``swerve validate`` asks the edge's own code: can this HTML operation run there?

The Worker checks every operation (``swerve_edge.operations``: the action, the selector
HTMLRewriter accepts, attribute and class names) when it loads a version, and drops what
it cannot apply. Validate asks the same function of the compiled operation, so a ruleset it
accepts loses nothing at the edge, and what the edge would drop is an error here, at its
line. (Patterns go through ``swerve_edge.regex_safety`` the same way, in ``condition_check``.)
"""

from swerve_edge.operations import check

from .compiler import compile_op
from .diagnostics import Path
from .schema import ACTIONS, HtmlOp


def operation_problems(op: HtmlOp) -> list[tuple[Path, str]]:
    """``(path inside the operation, message)`` for what the edge would refuse of ``op``."""
    actions = [a for a in ACTIONS if getattr(op, a) not in (None, False)]
    if len(actions) != 1:
        return [((), f"set exactly one action ({', '.join(ACTIONS)}), found {len(actions)}")]
    action = actions[0]
    if action == "set_attribute" and len(op.set_attribute) != 1:
        return [((action,), "set_attribute takes one `name: value` pair")]
    problem = check(compile_op(op))
    if problem is None:
        return []
    kind, message = problem
    return [(("selector",) if kind == "selector" else (action,), message)]
