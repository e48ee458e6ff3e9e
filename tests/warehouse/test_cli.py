"""`adops query` and `adops warehouse ...` as a user runs them: exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adops import warehouse
from tests.cli_support import run
from tests.warehouse.support import rows


@pytest.fixture
def filled(workspace: Path) -> Path:
    warehouse.commit({"campaign_daily": rows(3)})
    return workspace / "warehouse"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("EXPLAIN ANALYZE COPY (SELECT 'pwned') TO '{out}'", "EXPLAIN statements are not allowed"),
        ("COPY (SELECT 1) TO '{out}'", "COPY statements are not allowed"),
        ("SELECT 1; DROP VIEW campaign_daily", "one SELECT statement at a time"),
        ("SET enable_external_access = true", "SET statements are not allowed"),
        ("SELECT * FROM read_csv('/etc/passwd')", "disabled by configuration"),
        ("SELECT * FROM glob('/root/*')", "disabled by configuration"),
        ("SELECT * FROM sqlite_scan('x.db', 't')", "sqlite_scan"),
        ("SELEKT 1", "does not parse"),
        ("", "no SQL statement"),
    ],
)
def test_query_refuses_attacks_with_one_line_and_exit_2(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, message: str
) -> None:
    out = tmp_path / "written.csv"
    code, stdout, err = run(["query", sql.format(out=out)], capsys)
    assert code == 2 and stdout == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert not out.exists()


def test_query_row_limit_and_timeout(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["query", "SELECT * FROM range(1000000000000)", "--max-rows", "10"], capsys)
    assert code == 2 and "more than 10 rows" in err and "--max-rows" in err
    code, out, _ = run(["query", "SELECT * FROM range(10)", "--max-rows", "10", "--format", "csv"], capsys)
    assert code == 0 and out.splitlines() == ["range", *map(str, range(10))]
    runaway = "SELECT count(*) FROM range(1000000000000)"
    code, _, err = run(["query", runaway, "--max-rows", "0", "--timeout", "0.3"], capsys)
    assert code == 2 and "longer than 0.3 s" in err and err.count("\n") == 1
    for option in ("--max-rows", "--timeout"):
        code, _, err = run(["query", "SELECT 1", option, "-1"], capsys)
        assert code == 2 and option in err


def test_warehouse_status_repair_and_delete_account(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (filled / "_snapshot.json").unlink()
    code, out, _ = run(["warehouse", "status", "--json"], capsys)
    assert code == 0 and json.loads(out) == {"manifest": "missing", "versions": {"campaign_daily": 0}}
    code, out, _ = run(["warehouse", "repair", "--json"], capsys)
    assert code == 0 and json.loads(out)["manifest"] == "rebuilt"
    code, out, _ = run(["warehouse", "status"], capsys)
    assert code == 0 and out.splitlines() == ["manifest: ok", "campaign_daily: version 0"]

    code, _, err = run(["warehouse", "delete-account", "meta", "act_1"], capsys)
    assert code == 2 and "--yes" in err
    code, _, err = run(["warehouse", "delete-account", "myspace", "act_1", "--yes"], capsys)
    assert code == 2 and err.count("\n") == 1 and "platform" in err
    code, out, _ = run(["warehouse", "delete-account", "meta", "act_1", "--yes", "--json"], capsys)
    assert code == 0 and json.loads(out)["removed"] == {"campaign_daily": 3}
    code, out, _ = run(
        ["warehouse", "delete-account", "meta", "act_1", "--yes", "--json"], capsys
    )  # replayed
    assert code == 0 and json.loads(out)["removed"] == {"campaign_daily": 0}


def test_warehouse_help_loads_no_data_library() -> None:
    code = "import sys\nfrom adops.warehouse.cli import app\nprint(sorted({'pandas', 'duckdb', 'deltalake'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
