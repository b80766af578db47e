"""`swerve explain` and `swerve simulate` through the real console entry point."""

import json
import subprocess
import sys

from conftest import DEMO_RULES, ROOT


def swerve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swerve.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    """``swerve COMMAND DEMO_RULES ARGS...``: a command on the tests' copy of the demo rules."""
    return swerve(args[0], str(DEMO_RULES), *args[1:])


def test_explain_adaptive_offer_and_country_banner() -> None:
    behavior = json.dumps({"sessions": 2, "events": {"pricing_view": 3, "plans_compared": 1}})
    result = demo(
        "explain", "--url", "https://shop.test/pricing", "--country", "DE", "--behavior", behavior, "--json"
    )
    assert result.returncode == 0, result.stderr
    out = {e["flag"]: e for e in json.loads(result.stdout)}
    assert out["upgrade-cta"]["variant"] == "trial-no-card"
    assert out["upgrade-cta"]["steps"] == ["rule 1: matched -> trial-no-card"]
    assert out["country-banner"]["variant"] == "dach"
    assert out["legacy-chat-widget"]["reason"] == "killed"
    assert "hero-headline" not in out  # scoped to "/"


def test_explain_text_and_schedule() -> None:
    result = demo("explain", "--url", "https://shop.test/", "--now", "2026-12-24T12:00:00Z")
    assert result.returncode == 0, result.stderr
    assert "winter-sale: enabled  (rule 1)" in result.stdout
    before = demo("explain", "--url", "https://shop.test/", "--now", "2026-11-01T12:00:00Z")
    assert "winter-sale: disabled  (schedule)" in before.stdout


def test_explain_with_a_compiled_document(tmp_path) -> None:
    compiled = tmp_path / "r.json"
    assert demo("compile", "-o", str(compiled)).returncode == 0
    result = swerve("explain", "--compiled", str(compiled), "--url", "https://shop.test/", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)
    compiled.write_text(compiled.read_text().replace('"default":"blue"', '"default":"green"'))
    tampered = swerve("explain", "--compiled", str(compiled))
    assert tampered.returncode == 1 and "content hash does not match" in tampered.stderr


def test_simulate_reports_shares_and_guardrails(tmp_path) -> None:
    result = demo("simulate", "--visitors", "3000", "--json")
    assert result.returncode == 0, result.stderr
    shares = {r["flag"]: r for r in json.loads(result.stdout)}
    assert abs(shares["hero-headline"]["shares"]["outcome"] - 50) < 5
    assert shares["legacy-chat-widget"]["exposed"] == 0
    rules = tmp_path / "r.yaml"
    rules.write_text(
        "flags:\n  wide:\n    owner: o\n    expires: 2030-01-01\n    max_exposure: 10\n"
        "    variants: { a: {}, b: {} }\n    default: a\n    rules: [{ rollout: { weights: { a: 50, b: 50 } } }]\n"
    )
    broken = swerve("simulate", str(rules), "--visitors", "25000")
    assert broken.returncode == 1
    assert "GUARDRAIL: wide exposes" in broken.stdout
    assert "simulated 25,000/25,000 visitors" in broken.stderr
