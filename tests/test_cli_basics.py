"""What people type first: bare `swerve`, `--version`, typos, usage errors, and `swerve init`."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cli_support import run_swerve
from conftest import ROOT

from swerve.cli import version


def swerve(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, cwd=cwd, env=env)


def test_bare_swerve_prints_help_and_succeeds() -> None:
    result = swerve()
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: swerve")
    for command in ("validate", "push", "status", "kill", "set", "explain", "init"):
        assert f"    {command} " in result.stdout


def test_version() -> None:
    result = swerve("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"swerve {version()}" and version() != "unknown"


def test_a_mistyped_command_gets_a_suggestion_and_exit_2() -> None:
    result = swerve("pus", "-m", "x")
    assert result.returncode == 2
    assert result.stderr.strip() == "swerve: unknown command 'pus' (did you mean `swerve push`?)"
    unknown = swerve("frobnicate")
    assert unknown.returncode == 2 and "`swerve --help` lists the commands" in unknown.stderr


def test_usage_errors_exit_2_and_errors_exit_1(tmp_path: Path) -> None:
    missing = swerve("push")
    assert missing.returncode == 2 and "the following arguments are required: -m/--message" in missing.stderr
    failed = swerve("validate", str(tmp_path))
    assert failed.returncode == 1 and "no .yaml rule files found" in failed.stderr


def test_init_scaffolds_a_site_that_validates_pushes_and_deploys(tmp_path: Path) -> None:
    site = tmp_path / "my-shop"
    created = swerve("init", str(site))
    assert created.returncode == 0, created.stderr
    assert f"next: cd {site} && npm install && swerve validate" in created.stdout
    first_line = (site / "rules" / "site.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../rules.schema.json"
    assert json.loads((site / "rules.schema.json").read_text()) == json.loads((ROOT / "rules.schema.json").read_text())
    assert 'name = "my-shop"' in (site / "wrangler.toml").read_text()
    assert "SWERVE_COOKIE_KEYS=" in (site / ".dev.vars").read_text()
    assert ".dev.vars" in (site / ".gitignore").read_text()
    assert "npx wrangler dev --env local" in (site / "README.md").read_text()
    valid = swerve("validate", cwd=site)
    assert valid.returncode == 0 and valid.stdout.startswith("valid: 1 flags, 1 segments, 1 events"), valid.stderr
    again = swerve("init", str(site))
    assert again.returncode == 1 and "is not an empty directory" in again.stderr
    wrangler = str(ROOT / "node_modules" / ".bin" / "wrangler")
    dry = subprocess.run(
        [wrangler, "deploy", "--dry-run", "--outdir", str(tmp_path / "bundle")],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    bundled = {p.relative_to(tmp_path / "bundle").as_posix() for p in (tmp_path / "bundle").rglob("*.py")}
    assert bundled == {p.relative_to(ROOT / "worker").as_posix() for p in (ROOT / "worker").rglob("*.py")}
    pushed = swerve("push", "-m", "first rules", "--yes", cwd=site, env={"SWERVE_WRANGLER": wrangler})
    assert pushed.returncode == 0 and "published version 1" in pushed.stdout and "the first version" in pushed.stdout
    assert (site / ".wrangler" / "state" / "v3" / "kv").is_dir()  # wrangler's default local state, in the site


def test_make_test_chromium_step_names_what_is_wrong(tmp_path: Path) -> None:
    script = [sys.executable, str(ROOT / "scripts" / "ensure_chromium.py")]
    missing = subprocess.run(
        script,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SWERVE_CHROMIUM": str(tmp_path / "none")},
    )
    assert missing.returncode == 1 and f"SWERVE_CHROMIUM={tmp_path / 'none'} does not exist" in missing.stderr
    ready = subprocess.run(script, capture_output=True, text=True, timeout=120)  # make test ran it before the tests
    assert ready.returncode == 0 and ready.stderr == ""
