"""Publishing to real local KV (Miniflare's storage, as wrangler keeps it), and the Worker reading it."""

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli_support import kill_at, run_swerve
from conftest import FIXTURES, ROOT
from edge_support import Client, Origin

from swerve import publish
from swerve.kv import KvError, WranglerKv, classify
from swerve.local_runtime import LocalEdge
from swerve.local_state import LocalKv, LocalState
from swerve.wrangler_config import local_target

NAMESPACE = "00000000000000000000000000000000"  # wrangler.toml's SWERVE_RULES id


def swerve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_swerve(*args, env={"SWERVE_AUTHOR": "tester@example.com", **(env or {})})


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(FIXTURES / "edge_rules", folder)
    return folder


@contextmanager
def local_kv(persist: Path) -> Iterator[LocalKv]:
    """The state a push wrote, read through its own process (as wrangler dev reads it)."""
    state = LocalState(local_target(str(persist), None, None, ROOT))
    try:
        yield state.kv("SWERVE_RULES")
    finally:
        state.close()


def set_headline(rules: Path, text: str) -> None:
    path = rules / "rules.yaml"
    content = path.read_text()
    start = content.index('set_text: "') + len('set_text: "')
    end = content.index('"', start)
    path.write_text(content[:start] + text + content[end:])


def test_push_history_diff_pull_rollback(rules: Path, tmp_path: Path) -> None:
    kv = ["--persist-to", str(tmp_path / "kv")]
    first = swerve("push", str(rules), "-m", "first version", "--yes", *kv)
    assert first.returncode == 0, first.stderr
    assert "+ flag every-op" in first.stdout and "published version 1" in first.stdout
    set_headline(rules, "Second headline")
    changes = swerve("diff", "current", str(rules), *kv)
    assert changes.returncode == 0, changes.stderr
    assert "~ flag every-op" in changes.stdout and "Second headline" in changes.stdout
    second = swerve("push", str(rules), "-m", "new headline", "--yes", *kv)
    assert second.returncode == 0 and "published version 2" in second.stdout, second.stderr
    again = swerve("push", str(rules), "-m", "same", "--yes", *kv)
    assert again.returncode == 0 and "nothing to publish: version 2" in again.stdout
    history = swerve("history", *kv).stdout.splitlines()
    assert history[0].startswith("* v2") and "new headline" in history[0] and "tester@example.com" in history[0]
    assert history[1].startswith("  v1") and "first version" in history[1]
    back = swerve("rollback", *kv)
    assert back.returncode == 0 and "current is now version 1 (was 2)" in back.stdout
    history = swerve("history", *kv).stdout.splitlines()
    assert history[0].startswith("* rollback to v1") and "rollback from 2 to 1" in history[0]
    garbled = swerve("rollback", "latest", *kv)
    assert garbled.returncode == 1 and "expected a version number such as 3 or v3" in garbled.stderr
    refused = swerve("rollback", "9", *kv)
    assert refused.returncode == 1 and refused.stderr.splitlines()[-1] == "swerve: version 9 is not in KV"
    pulled = swerve("pull", "2", *kv)
    assert json.loads(pulled.stdout)["hash"] == json.loads(swerve("compile", str(rules)).stdout)["hash"]
    forward = swerve("rollback", "2", *kv)
    assert forward.returncode == 0 and "current is now version 2" in forward.stdout


def test_push_needs_confirmation_or_yes(rules: Path, tmp_path: Path) -> None:
    result = swerve("push", str(rules), "-m", "m", "--persist-to", str(tmp_path / "kv"))
    assert result.returncode == 1 and "pass --yes" in result.stderr
    with local_kv(tmp_path / "kv") as kv:
        assert kv.get("current") is None


def test_guardrail_blocks_unless_forced(rules: Path, tmp_path: Path) -> None:
    path = rules / "rules.yaml"
    path.write_text(path.read_text().replace("  sticky:\n", "  sticky:\n    max_exposure: 10\n", 1))
    kv = ["--persist-to", str(tmp_path / "kv")]
    refused = swerve("push", str(rules), "-m", "m", "--yes", *kv)
    assert refused.returncode == 1 and "GUARDRAIL: sticky would expose" in refused.stderr
    with local_kv(tmp_path / "kv") as store:
        assert store.get("current") is None
    forced = swerve("push", str(rules), "-m", "m", "--yes", "--force", *kv)
    assert forced.returncode == 0, forced.stderr


def kill_push_at(step: str, rules: Path, persist: Path) -> None:
    kill_at(
        step, "push", str(rules), "-m", "killed", "--yes", "--persist-to", str(persist), author="tester@example.com"
    )


@pytest.mark.parametrize(
    ("step", "live"),
    [("write-ruleset", 1), ("verify-ruleset", 1), ("check-pointer", 1), ("move-pointer", 1), ("record-history", 2)],
)
def test_a_killed_push_leaves_the_previous_version_serving(rules: Path, tmp_path: Path, step: str, live: int) -> None:
    persist = tmp_path / "kv"
    assert swerve("push", str(rules), "-m", "v1", "--yes", "--persist-to", str(persist)).returncode == 0
    set_headline(rules, "Killed push")
    kill_push_at(step, rules, persist)
    with local_kv(persist) as kv:
        pointer = publish.read_pointer(kv)
        assert pointer is not None and pointer.version == live
        publish.read_version(kv, pointer.version)  # the live version is intact
        history, current = publish.history_with_pointer(kv)
        assert current is not None and history[-1].version == live
    if step in ("verify-ruleset", "record-history"):
        retry = swerve("push", str(rules), "-m", "retry", "--yes", "--persist-to", str(persist))
        assert retry.returncode == 0
        # A stored-but-never-live version is not reused; a live but unrecorded one is recognised.
        expected = "published version 3" if live == 1 else "nothing to publish: version 2"
        assert expected in retry.stdout, retry.stdout


def test_worker_follows_push_and_rollback(rules: Path, tmp_path: Path) -> None:
    persist = tmp_path / "state"
    origin = Origin()
    edge = LocalEdge(
        persist / "v3" / "kv",
        {"ORIGIN_URL": origin.url, "SWERVE_COOKIE_KEYS": "k", "SWERVE_POINTER_TTL_SECONDS": "0"},
        namespace=NAMESPACE,
    )
    try:
        visitor = Client(edge)
        kv = ["--persist-to", str(persist)]
        assert "Build faster" in visitor.get("/").text  # nothing published: the origin's page
        assert swerve("push", str(rules), "-m", "A", "--yes", *kv).returncode == 0
        assert "New &lt;headline&gt;" in visitor.get("/").text
        set_headline(rules, "Variant B")
        assert swerve("push", str(rules), "-m", "B", "--yes", *kv).returncode == 0
        assert "Variant B" in visitor.get("/").text
        assert swerve("rollback", *kv).returncode == 0
        assert "New &lt;headline&gt;" in visitor.get("/").text
        set_headline(rules, "Variant C")
        kill_push_at("move-pointer", rules, persist)
        assert "New &lt;headline&gt;" in visitor.get("/").text
    finally:
        edge.close()
        origin.close()


class MemoryKv:
    """KV in a dict, for the pointer race that a real run cannot time."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, value: str) -> None:
        self.data[key] = value


def test_push_refuses_when_someone_else_moved_the_pointer(example_document: dict) -> None:
    kv = MemoryKv()
    publish.push(kv, example_document, "first", "a")
    changed = json.loads(json.dumps(example_document))
    changed["hash"] = "sha256:other"

    def rival_pushes(step: str) -> None:
        if step == "check-pointer":
            kv.put("current", json.dumps({"version": 7, "hash": "sha256:rival", "author": "rival"}))

    with pytest.raises(publish.PublishError, match="the pointer moved since this push started"):
        publish.push(kv, changed, "second", "b", step=rival_pushes)
    assert json.loads(kv.data["current"])["version"] == 7
    forced = publish.push(kv, changed, "second", "b", force=True, step=rival_pushes)
    assert forced is not None and forced.parent == 7


def test_transport_classifies_failures_and_retries_rate_limits() -> None:
    limited = "✘ [ERROR] A request to the Cloudflare API failed. Too many requests [code: 10429]"
    assert classify(limited) == "rate-limited"
    assert classify("✘ [ERROR] You are not authenticated. Please run `wrangler login`.") == "not-authenticated"
    assert classify("✘ [ERROR] fetch failed: getaddrinfo ENOTFOUND api.cloudflare.com") == "network"
    calls: list[list[str]] = []
    sleeps: list[float] = []

    def limited_twice(args: list[str]) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        if len(calls) <= 2:
            return subprocess.CompletedProcess(args, 1, "", "429 Too Many Requests")
        return subprocess.CompletedProcess(args, 0, "value", "")

    kv = WranglerKv("wrangler", remote=True, env="staging", runner=limited_twice, sleep=sleeps.append)
    assert kv.get("current") == "value"
    assert sleeps == [1.0, 2.0]
    scope = ["--binding", "SWERVE_RULES", "--remote", "--env", "staging"]
    assert calls[0] == ["wrangler", "kv", "key", "get", "current", *scope]

    def unauthenticated(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "You are not authenticated. Please run `wrangler login`.")

    with pytest.raises(KvError, match=r"not-authenticated.*CLOUDFLARE_API_TOKEN"):
        WranglerKv("wrangler", remote=True, runner=unauthenticated, sleep=sleeps.append).put("current", "x")


def test_history_columns_hold_a_long_author() -> None:
    entries = [
        publish.Pointer(version=1, hash="sha256:" + "a" * 64, author="ann", message="first", time="2026-11-20T10:00Z"),
        publish.Pointer(
            version=2,
            hash="sha256:" + "b" * 64,
            parent=1,
            author="release-bot@ci.example.com (scheduled advance)",
            message="ramp",
            time="2026-11-21T10:00Z",
            action="ramp",
        ),
        publish.Pointer(
            version=1,
            hash="sha256:" + "a" * 64,
            author="ann",
            message="undo",
            time="2026-11-22T10:00Z",
            action="rollback",
        ),
    ]
    lines = publish.render_history(entries, entries[2]).splitlines()
    assert [line[0] for line in lines] == ["*", " ", " "]
    assert "rollback to v1" in lines[0] and "v2 ramp" in lines[1]
    # Every hash starts in the same column, whatever the author's length.
    columns = {
        line.index(short) for line, short in zip(lines, ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "aaaaaaaaaaaa"], strict=True)
    }
    assert len(columns) == 1
    assert {line.rindex(message) for line, message in zip(lines, ["undo", "ramp", "first"], strict=True)} == {
        columns.pop() + 14
    }
