"""The deterministic evaluation workload shared by the benchmark's engines.

50 flags, 3 variants each. Rule 1: country in a list and a plan; rule 2: a session
threshold, a path prefix and an app version comparison; then a 10/30/60 rollout on
the user id. 10,000 visitor contexts. Everything comes from a seeded RNG, so every
run and every engine sees the same flags and visitors.
"""

import random
import uuid

COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "CA", "JP", "AU", "NL", "ES", "IT"]
PLANS = ["free", "pro", "enterprise"]
PREFIXES = ["/docs/", "/pricing", "/blog/", "/app/"]
PATHS = ["/", "/docs/setup", "/docs/api", "/pricing", "/pricing/teams", "/blog/launch", "/app/home", "/signup"]
VERSIONS = ["1.0.0", "1.5.2", "2.0.0", "2.4.0", "2.4.1", "3.0.0-beta.1", "3.1.0", "10.2.3"]
THRESHOLD_VERSIONS = ["1.5.0", "2.0.0", "2.4.0", "3.1.0"]
VARIANTS = ["v0", "v1", "v2"]
WEIGHTS = [10, 30, 60]


def flags(count: int = 50, seed: int = 7) -> list[dict]:
    """Engine-neutral flag specs."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        out.append(
            {
                "key": f"flag-{i:02d}",
                "countries": sorted(rng.sample(COUNTRIES, rng.randint(3, 5))),
                "plan": rng.choice(PLANS),
                "threshold": rng.randint(1, 6),
                "prefix": rng.choice(PREFIXES),
                "min_version": rng.choice(THRESHOLD_VERSIONS),
            }
        )
    return out


def contexts(count: int = 10_000, seed: int = 11) -> list[dict]:
    """Engine-neutral visitor attributes."""
    rng = random.Random(seed)
    return [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "country": rng.choice(COUNTRIES),
            "plan": rng.choice(PLANS),
            "sessions": rng.randint(0, 10),
            "path": rng.choice(PATHS),
            "version": rng.choice(VERSIONS),
        }
        for _ in range(count)
    ]


def swerve_rules(specs: list[dict]) -> dict:
    """The workload as a Swerve rule file (YAML-shaped data)."""
    out = {}
    for spec in specs:
        out[spec["key"]] = {
            "owner": "bench@example.com",
            "expires": "2099-01-01",
            "variants": {v: {"value": v} for v in VARIANTS},
            "default": "v0",
            "rollout_key": "user.id",
            "rules": [
                {"when": {"request.country": {"$in": spec["countries"]}, "user.plan": spec["plan"]}, "variant": "v1"},
                {
                    "when": {
                        "behavior.sessions": {"$gt": spec["threshold"]},
                        "request.path": {"$regex": "^" + spec["prefix"]},
                        "user.app_version": {"$vgte": spec["min_version"]},
                    },
                    "variant": "v2",
                },
                {"rollout": {"weights": dict(zip(VARIANTS, WEIGHTS, strict=True))}},
            ],
        }
    return {"flags": out}


def swerve_attributes(ctx: dict) -> dict:
    """A context in Swerve's attribute namespace."""
    return {
        "request": {"path": ctx["path"], "country": ctx["country"], "bot": False},
        "user": {"id": ctx["id"], "plan": ctx["plan"], "app_version": ctx["version"]},
        "behavior": {"sessions": ctx["sessions"]},
    }


def growthbook_features(specs: list[dict]) -> dict:
    """The workload as GrowthBook features (flat attributes)."""
    out = {}
    for spec in specs:
        out[spec["key"]] = {
            "defaultValue": "v0",
            "rules": [
                {
                    "id": "rule1",
                    "condition": {"country": {"$in": spec["countries"]}, "plan": spec["plan"]},
                    "force": "v1",
                },
                {
                    "id": "rule2",
                    "condition": {
                        "sessions": {"$gt": spec["threshold"]},
                        "path": {"$regex": "^" + spec["prefix"]},
                        "version": {"$vgte": spec["min_version"]},
                    },
                    "force": "v2",
                },
                {
                    "id": "rollout",
                    "key": spec["key"],
                    "seed": spec["key"],
                    "hashAttribute": "id",
                    "hashVersion": 2,
                    "variations": VARIANTS,
                    "weights": [w / 100 for w in WEIGHTS],
                    "coverage": 1,
                },
            ],
        }
    return out


def flagsmith_context(specs: list[dict]) -> dict:
    """The workload as a Flagsmith evaluation context (segments with overrides, multivariate splits)."""
    features = {}
    segments = {}
    for n, spec in enumerate(specs):
        key = spec["key"]
        features[key] = {
            "key": str(n),
            "name": key,
            "enabled": True,
            "value": "v0",
            "variants": [
                {"value": v, "weight": w, "priority": i} for i, (v, w) in enumerate(zip(VARIANTS, WEIGHTS, strict=True))
            ],
        }
        rule1 = [
            {"property": "country", "operator": "IN", "value": spec["countries"]},
            {"property": "plan", "operator": "EQUAL", "value": spec["plan"]},
        ]
        rule2 = [
            {"property": "sessions", "operator": "GREATER_THAN", "value": str(spec["threshold"])},
            {"property": "path", "operator": "REGEX", "value": "^" + spec["prefix"]},
            {"property": "version", "operator": "GREATER_THAN_INCLUSIVE", "value": spec["min_version"] + ":semver"},
        ]
        for priority, (name, conditions, value) in enumerate((("rule1", rule1, "v1"), ("rule2", rule2, "v2"))):
            seg_key = f"{key}-{name}"
            segments[seg_key] = {
                "key": seg_key,
                "name": seg_key,
                "rules": [{"type": "ALL", "conditions": conditions}],
                "overrides": [{"key": str(n), "name": key, "enabled": True, "value": value, "priority": priority}],
            }
    return {"environment": {"key": "bench", "name": "bench"}, "features": features, "segments": segments}
