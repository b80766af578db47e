"""A rollout's live weights: the rule file's, moved by a ramp, an operator or a guardrail.

The compiled document carries each rollout's weights as written and, under ``state``,
what changed since without editing a rule file (``swerve set``, ``swerve advance``,
``swerve learn``). This module is the one place that combines them, so the edge,
``explain``, ``simulate``, ``diff`` and ``status`` all see the same split:

1. the rule file's weights (percent);
2. a ramp replaces its variant's weight by the current step's percent; the other
   variants share the rest in proportion to their written weights;
3. an operator's ``weights`` (``swerve set``) replace both;
4. a variant stopped by a guardrail (``swerve advance``) gets 0; its share goes to the
   flag's control variant, or, when the control is not in the rollout, to the others in
   proportion. With nothing left to give a share to, nobody enters the rollout.
"""

import math


def _finite(value: object) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"a weight must be a finite number >= 0, not {value!r}")
    return float(value)


def _spread(total: float, names: list[str], written: dict[str, float]) -> dict[str, float]:
    """``total`` percent over ``names`` in proportion to their written weights (equally if all are 0)."""
    if not names:
        return {}
    base = sum(written.get(n, 0.0) for n in names)
    if base <= 0:
        return dict.fromkeys(names, total / len(names))
    return {n: total * written.get(n, 0.0) / base for n in names}


def ramp_weights(variants: list[str], written: dict[str, float], ramp: dict, step: int) -> dict[str, float]:
    """The split at a ramp step: the ramp's variant gets the step's percent, the others the rest."""
    steps = ramp["steps"]
    step = min(max(step, 0), len(steps) - 1)
    ramped = ramp["variant"]
    share = _finite(steps[step])
    out = _spread(100.0 - share, [v for v in variants if v != ramped], written)
    out[ramped] = share
    return out


def effective_weights(rollout: dict, state: dict, control: str | None) -> list[float]:
    """Percent per variant of ``rollout["variants"]``, in that order, after ramp, override and stops."""
    variants: list[str] = list(rollout["variants"])
    written = {v: _finite(w) for v, w in zip(variants, rollout["weights"], strict=True)}
    current = dict(written)
    ramp = rollout.get("ramp")
    override = state.get("weights")
    if override is not None:
        current = {v: _finite(override.get(v, 0)) for v in variants}
    elif ramp is not None:
        step = state.get("ramp_step", 0)
        if type(step) is not int:
            raise ValueError(f"ramp_step must be an integer, not {step!r}")
        current = ramp_weights(variants, written, ramp, step)
    stopped = [v for v in state.get("stopped", {}) if v in current]
    freed = sum(current[v] for v in stopped)
    for v in stopped:
        current[v] = 0.0
    if freed > 0:
        if control in current and control not in stopped:
            current[control] += freed
        else:
            keep = [v for v in variants if v not in stopped]
            for v, extra in _spread(freed, keep, {v: current[v] for v in keep}).items():
                current[v] += extra
    return [current[v] for v in variants]
