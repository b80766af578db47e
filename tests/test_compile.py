"""`swerve compile`: canonical bytes whatever the file layout, verifiable hash, schema export."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DEMO_RULES, ROOT

from swerve.compiler import compile_rules
from swerve.schema import ACTIONS as SCHEMA_ACTIONS
from swerve.validate import validate
from swerve_edge.digest import canonical_json, content_hash
from swerve_edge.operations import ACTIONS as EDGE_ACTIONS
from swerve_edge.ruleset import load_ruleset


def compile_dir(folder: Path) -> bytes:
    rules, findings = validate([str(folder)])
    assert not [f for f in findings if f.severity == "error"]
    return canonical_json(compile_rules(rules))


def test_same_rules_in_another_file_layout_give_the_same_bytes(tmp_path: Path) -> None:
    original = compile_dir(DEMO_RULES)
    # Everything in one file, sections in reverse order, entries in reverse order.
    merged: dict[str, dict] = {"events": {}, "segments": {}, "flags": {}}
    import yaml

    for file in sorted(DEMO_RULES.glob("*.yaml"), reverse=True):
        data = yaml.safe_load(file.read_text())
        for section, entries in data.items():
            merged[section].update(dict(reversed(list(entries.items()))))
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    assert compile_dir(tmp_path) == original


def test_hash_covers_the_body(example_document: dict) -> None:
    assert example_document["hash"] == content_hash(example_document)
    changed = json.loads(json.dumps(example_document))
    changed["flags"][0]["default"] = "tampered"
    assert content_hash(changed) != example_document["hash"]


def test_flags_come_after_their_prerequisites(example_document: dict) -> None:
    order = [f["key"] for f in example_document["flags"]]
    assert order.index("hero-headline") < order.index("pricing-layout")


def test_rollouts_keep_weights_and_the_edge_computes_ranges(example_document: dict) -> None:
    flag = next(f for f in example_document["flags"] if f["key"] == "pricing-layout")
    rollout = flag["rules"][0]["rollout"]
    assert rollout == {"variants": ["classic", "cards"], "weights": [50, 50], "coverage": 40}
    rule = load_ruleset(example_document).by_key["pricing-layout"].rules[0]
    assert rule.ranges == ((0.0, 0.2), (0.5, 0.7))


def test_cli_compile_and_schema(tmp_path: Path) -> None:
    out = tmp_path / "ruleset.json"
    subprocess.run(
        [sys.executable, "-m", "swerve.cli", "compile", str(DEMO_RULES), "-o", str(out)],
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    assert out.read_bytes() == compile_dir(DEMO_RULES)
    schema = subprocess.run(
        [sys.executable, "-m", "swerve.cli", "schema"], cwd=ROOT, check=True, capture_output=True, timeout=60
    ).stdout
    document = json.loads(schema)
    flag = document["$defs"]["Flag"]
    assert flag["additionalProperties"] is False
    assert {"variants", "default"} <= set(flag["required"])


def test_compile_refuses_invalid_rules(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "fixtures" / "invalid" / "weights_sum.yaml", tmp_path / "r.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "swerve.cli", "compile", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "weights sum to 90" in result.stderr and result.stdout == ""


def test_every_action_the_cli_compiles_is_one_the_edge_applies() -> None:
    assert set(SCHEMA_ACTIONS) == set(EDGE_ACTIONS)
