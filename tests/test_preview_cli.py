"""`swerve preview`: pairs checked against the live version, the TTL, the link's address, the key."""

import datetime
import json
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
from cli_support import run_swerve
from conftest import DEMO_RULES, ROOT

from swerve import dev_vars, live_edits, preview_links
from swerve.errors import CliError
from swerve_edge import preview

KEY = "cli-preview-key"
WINTER = datetime.datetime(2026, 12, 15, tzinfo=datetime.UTC).timestamp()


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800), ("600", 600)])
def test_ttl(text: str, seconds: int) -> None:
    assert preview_links.parse_ttl(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [("8d", "at most 7d"), ("30s", "at least 1m"), ("1w", "expected a duration"), ("soon", "expected a duration")],
)
def test_ttl_out_of_range_or_unreadable(text: str, message: str) -> None:
    with pytest.raises(CliError, match=message):
        preview_links.parse_ttl(text)


def test_pairs() -> None:
    assert preview_links.parse_pairs(["a=x", " b = y ", "a=x"]) == {"a": "x", "b": "y"}
    for items, message in [
        (["a"], "expected FLAG=VARIANT"),
        (["a="], "expected FLAG=VARIANT"),
        (["a=x", "a=y"], "a is forced twice"),
        ([f"f{i}=v" for i in range(21)], "at most 20 flags"),
    ]:
        with pytest.raises(CliError, match=message):
            preview_links.parse_pairs(items)


def test_pairs_are_checked_against_the_live_document(example_document: dict) -> None:
    with pytest.raises(CliError, match=r"no flag `hero-headlin` in the live version \(did you mean `hero-headline`\?"):
        preview_links.check_pairs(example_document, {"hero-headlin": "outcome"}, "/", WINTER)
    with pytest.raises(CliError, match=r"`outcom` is not a variant of hero-headline \(did you mean `outcome`\? its"):
        preview_links.check_pairs(example_document, {"hero-headline": "outcom"}, "/", WINTER)
    assert preview_links.check_pairs(example_document, {"hero-headline": "outcome"}, "/", WINTER) == []
    killed = live_edits.kill(example_document, "upgrade-cta")
    notes = preview_links.check_pairs(
        killed,
        {"hero-headline": "outcome", "upgrade-cta": "trial-no-card", "winter-sale": "enabled"},
        "/pricing",
        WINTER + 86400 * 60,
    )
    assert notes == [
        "hero-headline does not apply on /pricing: open a page in its paths to see it",
        "upgrade-cta is killed: the preview shows trial-no-card anyway",
        "winter-sale is outside its schedule now: the preview shows enabled anyway",
    ]


def test_where_the_link_goes() -> None:
    local = preview_links.target(None, False, {})
    assert local == preview_links.Target("http://127.0.0.1:8787", "/")
    assert preview_links.target("/pricing?plan=pro", False, {}).page == "/pricing?plan=pro"
    full = preview_links.target("https://www.example.com/pricing", True, {})
    assert full == preview_links.Target("https://www.example.com", "/pricing")
    routed = {"routes": [{"pattern": "shop.example.com/*", "zone_name": "example.com"}]}
    assert preview_links.target("/docs", True, routed) == preview_links.Target("https://shop.example.com", "/docs")
    for url, config in [
        ("/docs", {}),
        ("/docs", {"routes": ["a.example.com/*", "b.example.com/*"]}),
        ("/docs", {"route": "*.example.com/*"}),
    ]:
        with pytest.raises(CliError, match="give the page's full address"):
            preview_links.target(url, True, config)
    for url in ("ftp://example.com/", "pricing", "//example.com/x"):
        with pytest.raises(CliError, match="--url"):
            preview_links.target(url, False, {})
    where = preview_links.Target("https://shop.example.com", "/pricing?plan=pro")
    assert preview_links.preview_link(where, "p1.x.y") == (
        "https://shop.example.com/__swerve/preview?t=p1.x.y&to=/pricing%3Fplan%3Dpro"
    )
    assert (
        preview_links.clear_link(where) == "https://shop.example.com/__swerve/preview?clear=1&to=/pricing%3Fplan%3Dpro"
    )


def test_dev_vars_gain_the_secrets_they_lack(tmp_path: Path) -> None:
    path = tmp_path / dev_vars.FILE
    assert dev_vars.create(path) and set(dev_vars.read(path)) == set(dev_vars.SECRETS)
    path.write_text("SWERVE_COOKIE_KEYS=kept\nSWERVE_DEBUG_TOKEN=also-kept")
    assert dev_vars.complete(path) == ["SWERVE_PREVIEW_KEY"]
    values = dev_vars.read(path)
    assert values["SWERVE_COOKIE_KEYS"] == "kept" and values["SWERVE_DEBUG_TOKEN"] == "also-kept"
    assert len(values["SWERVE_PREVIEW_KEY"]) == 64 and dev_vars.complete(path) == []


def swerve(*args: str, cwd: Path, key: str | None = KEY) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, cwd=cwd, env={"SWERVE_PREVIEW_KEY": key})


def test_the_command_prints_a_link_the_worker_accepts(tmp_path: Path) -> None:
    project = tmp_path / "site"
    project.mkdir()
    shutil.copy(ROOT / "wrangler.toml", project / "wrangler.toml")
    (project / "rules").symlink_to(DEMO_RULES)
    nothing = swerve("preview", "hero-headline=outcome", cwd=project)
    assert nothing.returncode == 1 and "nothing is published in local" in nothing.stderr
    assert swerve("push", "-m", "first", "--yes", cwd=project).returncode == 0

    started = time.time()
    made = swerve("preview", "hero-headline=outcome", "upgrade-cta=trial-no-card", "--ttl", "2h", cwd=project)
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith("http://127.0.0.1:8787/__swerve/preview?t=p1.") and link.endswith("&to=/")
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]
    verified, _ = preview.verify(token, [KEY.encode()], time.time())
    assert verified.forced == {"hero-headline": "outcome", "upgrade-cta": "trial-no-card"}
    assert started + 7200 - 5 <= verified.expires <= time.time() + 7200
    lines = made.stderr.splitlines()
    assert lines[0].startswith(
        "preview of hero-headline=outcome, upgrade-cta=trial-no-card on http://127.0.0.1:8787/ (live version 1), until "
    )
    assert lines[-1].startswith("note: anyone with this link sees these variants until it expires")

    wrong = swerve("preview", "hero-headline=outcom", cwd=project)
    assert wrong.returncode == 1 and "did you mean `outcome`?" in wrong.stderr and not wrong.stdout
    keyless = swerve("preview", "hero-headline=outcome", cwd=project, key=None)
    assert keyless.returncode == 1 and "set SWERVE_PREVIEW_KEY in the environment" in keyless.stderr
    (project / dev_vars.FILE).write_text(f"SWERVE_PREVIEW_KEY={KEY}-local\n")
    from_file = swerve("preview", "hero-headline=outcome", "--json", "--url", "/pricing", cwd=project, key=None)
    out = json.loads(from_file.stdout)
    assert out["forced"] == {"hero-headline": "outcome"} and out["version"] == 1
    assert out["notes"] == ["hero-headline does not apply on /pricing: open a page in its paths to see it"]
    assert out["clear"] == "http://127.0.0.1:8787/__swerve/preview?clear=1&to=/pricing"
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(out["link"]).query)["t"][0]
    assert preview.verify(token, [f"{KEY}-local".encode()], time.time())[0] is not None

    cleared = swerve("preview", "--clear", "--url", "https://www.example.com/docs", cwd=project, key=None)
    assert cleared.stdout.strip() == "https://www.example.com/__swerve/preview?clear=1&to=/docs"
