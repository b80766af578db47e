"""Swerve's rollouts bucket like the GrowthBook Python SDK, end to end from rule files.

CPython only: the SDK imports aiohttp and cryptography. The edge's hashing and bucket
functions also run GrowthBook's own cases in every Pyodide (test_conformance.py).
"""

import datetime
from pathlib import Path

from growthbook import GrowthBook

from swerve.build import compiled_from_sources
from swerve_edge.decide import decide
from swerve_edge.ruleset import load_ruleset

NOW = datetime.datetime(2026, 12, 15, tzinfo=datetime.UTC).timestamp()
RULES = """
flags:
  f:
    owner: o
    expires: 2030-01-01
    variants: { a: {value: 1}, b: {value: 2}, c: {value: 3} }
    default: a
    rollout_key: user.id
    seed: migrated-exp
    rules:
      - rollout: { weights: { a: 10, b: 30, c: 60 }, coverage: 80 }
"""


def test_rollouts_bucket_exactly_like_growthbook(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    ruleset = load_ruleset(compiled_from_sources([str(tmp_path / "rules.yaml")]))
    feature = {
        "defaultValue": "a",
        "rules": [
            {"key": "f", "seed": "migrated-exp", "hashAttribute": "id", "hashVersion": 2, "coverage": 0.8,
             "variations": ["a", "b", "c"], "weights": [0.1, 0.3, 0.6]},
        ],
    }  # fmt: skip
    for n in range(400):
        user_id = f"user-{n}"
        gb = GrowthBook(attributes={"id": user_id}, features={"f": feature})
        result = gb.eval_feature("f")
        attributes = {"request": {"path": "/", "bot": False}, "user": {"anonymous_id": "anon-1", "id": user_id}}
        (ours,) = decide(ruleset, {**attributes, "behavior": {}}, NOW)
        expected = result.value if result.source == "experiment" else "a"
        assert ours.variant == expected, user_id
        assert (ours.reason == "rollout") == (result.source == "experiment"), user_id
