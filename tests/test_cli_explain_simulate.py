"""`swerve explain` and `swerve simulate` through the real console entry point."""

import json
import os
import subprocess
import sys
from functools import partial

from cli_support import run_swerve
from conftest import DEMO_RULES, ROOT

from swerve.build import compiled_from_sources
from swerve_edge import cookie
from swerve_edge.summary import Summary


def swerve(*args: str) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, timeout=120)


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    """``swerve COMMAND DEMO_RULES ARGS...``: a command on the tests' copy of the demo rules."""
    return swerve(args[0], str(DEMO_RULES), *args[1:])


def test_explain_adaptive_offer_and_country_banner() -> None:
    behavior = json.dumps({"sessions": 2, "events": {"pricing_view": 3, "plans_compared": 1}})
    result = demo("explain", "--url", "https://shop.test/pricing", "--country", "DE", "--behavior", behavior, "--json")
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


def test_simulate_reaches_the_behavior_thresholds_of_the_rules() -> None:
    # pricing-curious needs pricing_view >= 3: the population draws pricing_view counts up to 4.
    result = demo("simulate", "--visitors", "3000", "--json")
    shares = {r["flag"]: r for r in json.loads(result.stdout)}
    assert 0.5 < shares["upgrade-cta"]["shares"]["trial-no-card"] < 5


def test_explain_says_which_rules_it_used_and_reads_a_pasted_cookie(tmp_path) -> None:
    keys = [b"new-key", b"old-key"]
    summary = Summary(1_790_000_000, 1_790_000_000, sessions=2, pageviews=6, session_pageviews=1)
    summary.events = {"pricing_view": 3, "plans_compared": 1}
    summary.exposures = {"hero-headline": "outcome"}
    signed = cookie.encode(summary, [b"old-key"])
    header = f"swerve_id=0123456789abcdef0123456789abcdef; swerve_s={signed}"
    env = {**os.environ, "SWERVE_COOKIE_KEYS": b",".join(keys).decode()}
    run = partial(subprocess.run, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    cli = [sys.executable, "-m", "swerve.cli", "explain", str(DEMO_RULES), "--url", "https://shop.test/"]
    result = run([*cli, "--cookie", header, "--json"])
    assert result.returncode == 0, result.stderr
    assert f"explaining with {DEMO_RULES} (local files; --from current explains what is live)" in result.stderr
    assert "cookie: 2 session(s), 6 page view(s), events: plans_compared=1, pricing_view=3" in result.stderr
    out = {e["flag"]: e for e in json.loads(result.stdout)}
    assert out["upgrade-cta"]["variant"] == "trial-no-card"  # the cookie's behavior
    assert out["hero-headline"]["reason"] == "sticky 2" and out["hero-headline"]["variant"] == "outcome"
    tampered = run([*cli, "--cookie", signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")])
    assert tampered.returncode == 1 and "does not verify with SWERVE_COOKIE_KEYS" in tampered.stderr
    both = run([*cli, "--cookie", signed, "--behavior", "{}"])
    assert both.returncode == 1 and "drop --behavior/--exposures" in both.stderr
    compiled = tmp_path / "r.json"
    compiled.write_text(json.dumps(compiled_from_sources([str(DEMO_RULES)])))
    from_file = run([sys.executable, "-m", "swerve.cli", "explain", "--from", str(compiled)])
    assert from_file.returncode == 0 and f"explaining with {compiled}" in from_file.stderr
