"""The editor schema: committed, current, every field described, and ``when`` checked like editors do."""

import datetime
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import DEMO_RULES, ROOT

from swerve.editor_schema import SCHEMA_FILE, json_schema

COMMITTED = ROOT / SCHEMA_FILE


def as_json(value: object) -> object:
    """YAML data as an editor sees it: dates and times are strings."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(COMMITTED.read_text())
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schema_is_what_swerve_schema_writes() -> None:
    written = subprocess.run(
        [sys.executable, "-m", "swerve.cli", "schema"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(COMMITTED.read_text()) == json.loads(written) == json_schema(), (
        "rules.schema.json is stale: run `.venv/bin/swerve schema -o rules.schema.json`"
    )


def test_every_field_has_a_description() -> None:
    for name, definition in json_schema()["$defs"].items():
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_rule_files_name_the_schema_on_their_first_line() -> None:
    for file in sorted((ROOT / "rules").glob("*.yaml")):
        assert file.read_text().splitlines()[0] == f"# yaml-language-server: $schema=../{SCHEMA_FILE}", file


@pytest.mark.parametrize("file", sorted(DEMO_RULES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_demo_rules_pass_the_schema(validator: jsonschema.protocols.Validator, file: Path) -> None:
    errors = list(validator.iter_errors(as_json(yaml.safe_load(file.read_text()))))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize(
    ("when", "culprit"),
    [
        ({"user.plan": {"in": ["pro"]}}, "in"),  # an operator without its $
        ({"user.plan": {"$inn": ["pro"]}}, "$inn"),
        ({"request.contry": "DE"}, "request.contry"),
        ({"behavior.events.Pricing View": {"$gte": 3}}, "behavior.events.Pricing View"),
        ({"$or": [{"requests.path": "/"}]}, "requests.path"),
    ],
)
def test_editors_flag_broken_conditions(validator: jsonschema.protocols.Validator, when: dict, culprit: str) -> None:
    document = {"segments": {"s": {"when": when}}}
    errors = list(validator.iter_errors(document))
    assert errors and any(culprit in json.dumps([*e.path, e.message]) for e in _leaves(errors)), [
        e.message for e in errors
    ]


@pytest.mark.parametrize(
    "when",
    [
        {"request.country": {"$in": ["DE", "AT"]}, "behavior.events.pricing_view": {"$gte": 3}},
        {"$or": [{"user.plan": "pro"}, {"user.tags": {"$elemMatch": {"$eq": "beta"}}}]},
        {"request.query.utm_source": {"$regex": "^news"}, "user.app_version": {"$vgte": "2.4.0"}},
        {"$not": {"request.bot": True}},
    ],
)
def test_editors_accept_valid_conditions(validator: jsonschema.protocols.Validator, when: dict) -> None:
    assert not list(validator.iter_errors({"segments": {"s": {"when": when}}}))


def _leaves(errors: list) -> list:
    out = []
    for error in errors:
        out.append(error)
        out.extend(_leaves(list(error.context or [])))
    return out
