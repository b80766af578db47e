"""Local KV and D1 through one Miniflare process, read back by the pinned wrangler itself."""

import json
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from swerve.errors import CliError
from swerve.kv import KvError, WranglerKv
from swerve.local_state import LocalState, open_local, split_statements
from swerve.wrangler_config import local_target

WRANGLER = str(ROOT / "node_modules" / ".bin" / "wrangler")
CONFIG = """
[[kv_namespaces]]
binding = "SWERVE_RULES"
id = "11111111111111111111111111111111"
[[d1_databases]]
binding = "SWERVE_STATS"
database_name = "swerve-stats"
database_id = "22222222-2222-2222-2222-222222222222"
[env.staging]
kv_namespaces = [{ binding = "SWERVE_RULES", id = "33333333333333333333333333333333" }]
"""
MIGRATION = """-- Counts by key; a statement may span lines and hold ';' in a string.
CREATE TABLE counts (
  flag TEXT NOT NULL,
  metric TEXT NOT NULL DEFAULT 'a;b',
  count INTEGER NOT NULL,
  PRIMARY KEY (flag, metric)
);
CREATE INDEX counts_by_metric ON counts (metric);
"""
UPSERT = (
    "INSERT INTO counts (flag, metric, count) VALUES (?, ?, ?) "
    "ON CONFLICT (flag, metric) DO UPDATE SET count = count + excluded.count"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    return tmp_path


def wrangler(*args: str, cwd: Path) -> str:
    result = subprocess.run([WRANGLER, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_wrangler_and_the_helper_read_each_others_kv(project: Path) -> None:
    state = LocalState(local_target(None, None, None, project))
    try:
        kv = state.kv("SWERVE_RULES")
        kv.put("written-by-swerve", "é\n" * 3000)
        read = wrangler("kv", "key", "get", "written-by-swerve", "--binding", "SWERVE_RULES", "--local", cwd=project)
        assert read == "é\n" * 3000
        WranglerKv(WRANGLER, config=str(project / "wrangler.toml")).put("written-by-wrangler", '{"v": 1}')
        assert kv.get("written-by-wrangler") == '{"v": 1}'
        assert kv.get("missing") is None
    finally:
        state.close()
    assert (project / ".wrangler" / "state" / "v3" / "kv" / "11111111111111111111111111111111").is_dir()


def test_d1_migration_upserts_and_queries_that_wrangler_reads_back(project: Path) -> None:
    target = local_target("state", None, None, project)
    state = open_local(target)
    try:
        db = state.d1("SWERVE_STATS")
        assert db.execute(MIGRATION) == 2
        db.batch([(UPSERT, ["hero", "exposure", 2]), (UPSERT, ["hero", "exposure", 3]), (UPSERT, ["cta", "x;y", 1])])
        assert db.query("SELECT flag, count FROM counts WHERE metric = ? ORDER BY flag", ["exposure"]) == [
            {"flag": "hero", "count": 5}
        ]
        # KV and D1 of one command share the one helper process.
        assert open_local(target) is state and state.kv("SWERVE_RULES").state is state
        with pytest.raises(KvError, match="no such table: missing_table"):
            db.batch([(UPSERT, ["hero", "exposure", 100]), ("INSERT INTO missing_table VALUES (1)", [])])
        assert db.query("SELECT SUM(count) AS n FROM counts") == [{"n": 6}]  # the failed batch left nothing
    finally:
        state.close()
    out = wrangler(
        "d1", "execute", "SWERVE_STATS", "--local", "--persist-to", "state", "--json",
        "--command", "SELECT flag, metric, count FROM counts ORDER BY flag", cwd=project,
    )  # fmt: skip
    assert json.loads(out)[0]["results"] == [
        {"flag": "cta", "metric": "x;y", "count": 1},
        {"flag": "hero", "metric": "exposure", "count": 5},
    ]


def test_sql_scripts_split_where_sqlite_says_a_statement_ends() -> None:
    trigger = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  DELETE FROM c;\nEND;"
    script = f"-- header\nCREATE TABLE a (x TEXT DEFAULT ';');\n{trigger}\nINSERT INTO a VALUES ('--');\n-- end\n"
    assert split_statements(script) == [
        "-- header\nCREATE TABLE a (x TEXT DEFAULT ';');",
        trigger,
        "INSERT INTO a VALUES ('--');",
    ]
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        split_statements("CREATE TABLE a (x TEXT);\nSELECT 1")


def test_local_targets_resolve_like_wrangler(project: Path) -> None:
    nested = project / "sub" / "dir"
    nested.mkdir(parents=True)
    found = local_target(None, None, None, nested)
    assert found.persist == project / ".wrangler" / "state" and found.config == project / "wrangler.toml"
    assert found.kv == {"SWERVE_RULES": "11111111111111111111111111111111"}
    assert found.d1 == {"SWERVE_STATS": "22222222-2222-2222-2222-222222222222"}
    assert local_target("here", None, None, nested).persist == nested / "here"
    staging = local_target(None, None, "staging", nested)
    assert staging.kv == {"SWERVE_RULES": "33333333333333333333333333333333"} and staging.d1 == {}
    with pytest.raises(CliError, match="no D1 database bound as SWERVE_STATS"):
        LocalState(staging).d1("SWERVE_STATS")
    with pytest.raises(CliError, match=r"no \[env.prod\] section"):
        local_target(None, None, "prod", nested)
    (project / "other.jsonc").write_text(
        '{\n  // comment\n  "kv_namespaces": [{"binding": "SWERVE_RULES", "id": "a//b", "preview_id": "p",},],\n}'
    )
    with pytest.raises(CliError, match="both a namespace id and a preview_id"):
        local_target(None, "other.jsonc", None, project)
