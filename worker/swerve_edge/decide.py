"""Deciding every in-scope flag's variant for one request.

``decide`` is the one entry to the evaluator: the Worker calls it per request and the
CLI's ``explain`` and ``simulate`` call it too, passing ``trace`` to collect the reasons.
The work is done by the ruleset version's generated evaluator (``evaluator``). It never
raises: a flag whose evaluation fails gets its default with reason "error". A preview
(``preview``) passes ``forced`` variants, decided with reason "preview".
"""

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .ruleset import Ruleset

KILLED = "killed"
SCHEDULE = "schedule"
PREREQUISITE = "prerequisite"
RULE = "rule"
ROLLOUT = "rollout"
STICKY = "sticky"
# An adaptive rule's arm (``adaptive``): chosen now by the context's weights or the holdout,
# or kept from an earlier exposure in the same context.
ADAPT = "adapt"
ADAPT_STICKY = "adapt-sticky"
DEFAULT = "default"
ERROR = "error"
PREVIEW = "preview"


class Decision(NamedTuple):
    """A flag's variant for this request and why: ``reason`` is one of the constants above.

    ``context`` is set for adaptive decisions: the context the visitor was decided in, as
    outcomes record it (``<key>`` or ``holdout:<key>``, see ``context_weights``).
    """

    flag: str
    variant: str
    value: object
    reason: str
    rule: int | None = None
    bucket: float | None = None
    context: str = ""

    def describe(self) -> str:
        """A short human form, as in the ``Swerve-Decisions`` debug header."""
        text = self.reason
        if self.rule is not None:
            text += f" {self.rule}"
        if self.bucket is not None:
            text += f" bucket={self.bucket:.4f}"
        if self.context:
            text += f" context={self.context}"
        return text


_NO_EXPOSURES: dict[str, str] = {}


def decide(
    ruleset: "Ruleset",
    attributes: dict,
    now: float,
    exposures: dict[str, str] | None = None,
    trace: dict[str, list[str]] | None = None,
    *,
    contexts: dict[str, str] | None = None,
    forced: dict[str, str] | None = None,
) -> list[Decision]:
    """Decide every flag in scope for ``attributes["request"]["path"]``, in dependency order.

    ``now`` is epoch seconds; ``exposures`` maps flag keys to the variant this visitor
    saw before (sticky rollouts) and ``contexts`` the adaptive ones to the context it was
    seen in (an adaptive arm is kept only in the same context). With ``trace``, each flag's
    reason chain is appended to ``trace[flag]``. ``forced`` (a preview) maps flag keys to the
    variant they get, before any rule is looked at. All run the ruleset's generated
    evaluator (see ``evaluator``).
    """
    seen = exposures or _NO_EXPOSURES
    seen_in = contexts or _NO_EXPOSURES
    if forced:
        return ruleset.previewing(trace is not None)(attributes, now, seen, trace, seen_in, forced)
    if trace is None:
        return ruleset.evaluate(attributes, now, seen, None, seen_in)
    return ruleset.traced()(attributes, now, seen, trace, seen_in)
