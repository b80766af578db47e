"""Changes people make to what is live without editing a rule file: kill, unkill, set weights.

Each takes the live compiled document and returns the next one, identical except for its
``state`` (``live_state``), so the history shows a new version that changes exactly that.
Refusals are ``CliError`` with what to do instead.
"""

import copy
import difflib
import math
from typing import Any

from .errors import CliError
from .live_state import flag_state, rehashed, rule_state, state_of


def _flag(document: dict[str, Any], key: str) -> dict[str, Any]:
    flags = {f["key"]: f for f in document.get("flags", [])}
    if key not in flags:
        close = difflib.get_close_matches(key, list(flags), n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise CliError(f"the live version has no flag `{key}`{hint}")
    return flags[key]


def kill(document: dict[str, Any], key: str) -> dict[str, Any]:
    """The live document with ``key``'s kill switch on: every visitor gets its default."""
    flag = _flag(document, key)
    if flag.get("killed"):
        raise CliError(f"`{key}` is already killed by its rule file (kill_switch: true)")
    state = state_of(document)
    if flag_state(state, key).get("killed"):
        raise CliError(f"`{key}` is already killed (swerve kill); `swerve unkill {key}` ends it")
    flag_state(state, key)["killed"] = True
    return rehashed(document, state)


def unkill(document: dict[str, Any], key: str) -> dict[str, Any]:
    """The live document with the kill set by ``kill`` removed."""
    flag = _flag(document, key)
    state = state_of(document)
    if not flag_state(state, key).get("killed"):
        if flag.get("killed"):
            raise CliError(
                f"`{key}` is killed by its rule file (kill_switch: true), not by `swerve kill`: "
                "remove kill_switch there and push"
            )
        raise CliError(f"`{key}` is not killed")
    del flag_state(state, key)["killed"]
    return rehashed(document, state)


def rollout_rules(flag: dict[str, Any]) -> list[int]:
    """Indexes (0-based) of the flag's rollout rules."""
    return [i for i, rule in enumerate(flag.get("rules", [])) if rule.get("rollout") is not None]


def pick_rollout(document: dict[str, Any], key: str, rule: int | None) -> int:
    """The 0-based index of the rollout rule ``--rule N`` (1-based) names, or the flag's only one."""
    flag = _flag(document, key)
    rollouts = rollout_rules(flag)
    listed = ", ".join(str(i + 1) for i in rollouts)
    if not rollouts:
        raise CliError(f"`{key}` has no rollout rule, so it has no weights to set")
    if rule is None:
        if len(rollouts) > 1:
            raise CliError(f"`{key}` has rollouts in rules {listed}: name one with --rule N")
        return rollouts[0]
    if rule - 1 not in rollouts:
        raise CliError(f"rule {rule} of `{key}` is not a rollout (its rollout rules: {listed})")
    return rule - 1


def parse_weights(text: str, variants: list[str]) -> dict[str, float]:
    """``a=10,b=90`` as percent per variant of the rollout; unnamed variants get 0; the sum must be 100."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise CliError(f"--weights {item!r}: expected VARIANT=PERCENT, for example a=10,b=90")
        if name not in variants:
            close = difflib.get_close_matches(name, variants, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "its variants: " + ", ".join(variants)
            raise CliError(f"--weights: `{name}` is not a variant of this rollout ({hint})")
        try:
            number = float(value)
        except ValueError as exc:
            raise CliError(f"--weights {item!r}: {value.strip()!r} is not a number") from exc
        if not math.isfinite(number) or not 0 <= number <= 100:
            raise CliError(f"--weights {item!r}: a weight is a percent between 0 and 100")
        if name in weights:
            raise CliError(f"--weights: `{name}` is given twice")
        weights[name] = int(number) if number.is_integer() else number
    total = sum(weights.values())
    if abs(total - 100) > 1e-9:
        raise CliError(f"--weights sum to {total:g}, expected 100")
    return {v: weights.get(v, 0) for v in variants}


def set_weights(document: dict[str, Any], key: str, index: int, weights: dict[str, float] | None) -> dict[str, Any]:
    """The live document with rule ``index``'s weights set (None: back to the rule file's or the ramp's)."""
    _flag(document, key)
    state = state_of(document)
    entry = rule_state(state, key, index)
    if weights is None:
        if "weights" not in entry:
            raise CliError(f"rule {index + 1} of `{key}` has no weights set with `swerve set`: nothing to clear")
        del entry["weights"]
    else:
        entry["weights"] = copy.deepcopy(weights)
    return rehashed(document, state)
