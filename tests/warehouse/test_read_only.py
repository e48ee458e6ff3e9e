"""The read entry points cannot write, read files, reach the network or unlock themselves.

Each attack of the reliability probe (§3c) is tried against `warehouse.query` (both its cached and
its one-off path) and, where a notebook could run it directly, against `warehouse.connect()`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from adops import warehouse
from adops.errors import InputError
from adops.warehouse import QueryError, ReadOnlyError
from adops.warehouse.delta import MAX_SQL_CHARS
from tests.warehouse.support import rows


@pytest.fixture
def filled(workspace: Path) -> Path:
    warehouse.commit({"campaign_daily": rows(3)})
    return workspace / "warehouse"


def run(sql: str, cached: bool) -> object:
    return warehouse.query(sql, cached=cached)


REFUSED_STATEMENTS = [
    "EXPLAIN ANALYZE COPY (SELECT 'pwned') TO '{out}'",
    "EXPLAIN ANALYZE COPY (SELECT * FROM read_text('/etc/hostname')) TO '{out}'",
    "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
    "EXPLAIN SELECT 1",
    "COPY (SELECT 1) TO '{out}'",
    "COPY campaign_daily TO '{out}' (FORMAT parquet)",
    "SELECT 1; DROP VIEW campaign_daily",
    "SELECT 1; SELECT 2",
    "DELETE FROM campaign_daily",
    "CREATE TABLE x AS SELECT 1",
    "ATTACH '{out}' AS other",
    "INSTALL sqlite",
    "LOAD sqlite",
    "PRAGMA version",
    "CALL pragma_version()",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "SET memory_limit = '1TB'",
    "PREPARE p AS SELECT 1",
    "EXPORT DATABASE '{out}'",
    "CHECKPOINT",
    "USE memory",
    "PIVOT campaign_daily ON platform USING sum(spend)",
    "BEGIN TRANSACTION",
]


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "one-off"])
@pytest.mark.parametrize("statement", REFUSED_STATEMENTS)
def test_anything_but_one_select_is_refused(
    filled: Path, tmp_path: Path, statement: str, cached: bool
) -> None:
    out = tmp_path / "written.csv"
    with pytest.raises(ReadOnlyError, match="read-only"):
        run(statement.format(out=out), cached)
    assert not out.exists()


FILE_READS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/hostname')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM glob('/root/*')",
    "SELECT * FROM glob('{warehouse}/*')",
    "SELECT * FROM read_json('{warehouse}/_snapshot.json')",
    "SELECT * FROM read_text('{warehouse}/_snapshot.json')",
    # the warehouse's own files are refused too: read directly they would bypass the snapshot
    "SELECT count(*) FROM read_parquet('{warehouse}/campaign_daily/*.parquet')",
    "SELECT * FROM parquet_metadata('{warehouse}/campaign_daily/*.parquet')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'https://example.com/data.csv'",
    "SELECT * FROM query('COPY (SELECT 1) TO ''/tmp/adops-probe.csv''')",
    "SELECT * FROM query('SELECT * FROM read_text(''/etc/hostname'')')",
]


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "one-off"])
@pytest.mark.parametrize("statement", FILE_READS)
def test_a_select_reaches_no_file(filled: Path, statement: str, cached: bool) -> None:
    with pytest.raises(QueryError):
        run(statement.format(warehouse=filled), cached)
    assert not Path("/tmp/adops-probe.csv").exists()


def test_the_manifest_cannot_be_overwritten_through_a_query(filled: Path) -> None:
    before = (filled / "_snapshot.json").read_text()
    attack = (
        "EXPLAIN ANALYZE COPY (SELECT '{\"versions\": {}}') TO "
        f"'{filled}/_snapshot.json' (FORMAT csv, HEADER false, QUOTE '')"
    )
    with pytest.raises(ReadOnlyError):
        warehouse.query(attack)
    con = warehouse.connect()
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        con.execute(attack.removeprefix("EXPLAIN ANALYZE "))
    assert (filled / "_snapshot.json").read_text() == before
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily").n[0] == 3


def test_no_extension_is_installed_or_loaded(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # DuckDB keeps installed extensions under ~/.duckdb
    for cached in (True, False):
        with pytest.raises(QueryError, match="sqlite_scanner|sqlite_scan"):
            run("SELECT * FROM sqlite_scan('x.db', 't')", cached)
        with pytest.raises(QueryError):
            run("SELECT * FROM delta_scan('x')", cached)
    assert not (tmp_path / ".duckdb").exists()


def test_a_notebook_connection_is_locked_down(filled: Path, tmp_path: Path) -> None:
    con = warehouse.connect()
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'autoinstall_known_extensions', 'autoload_known_extensions', 'lock_configuration')"
        ).fetchall()
    )
    assert settings == {
        "enable_external_access": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "lock_configuration": "true",
    }
    for statement in (
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET lock_configuration = false",
        "SET autoinstall_known_extensions = true",
        "RESET ALL",
    ):
        with pytest.raises(duckdb.Error):
            con.execute(statement)
    out = tmp_path / "x.csv"
    for statement in (
        f"COPY (SELECT 1) TO '{out}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "INSTALL sqlite",
    ):
        with pytest.raises(duckdb.Error, match="disabled"):
            con.execute(statement)
    assert not out.exists()
    assert con.execute("SELECT count(*) FROM campaign_daily").fetchone() == (3,)


def test_a_notebook_brings_its_own_frames_by_registering_them(filled: Path) -> None:
    import pandas as pd

    targets = pd.DataFrame({"campaign_id": ["c0", "c1"], "target": [5.0, 50.0]})
    con = warehouse.connect()
    with pytest.raises(duckdb.Error):  # no implicit scan of a Python variable
        con.execute("SELECT * FROM targets").fetchall()
    con.register("targets", targets)
    joined = con.execute(
        "SELECT count(*) FROM campaign_daily JOIN targets USING (campaign_id) WHERE spend > target"
    ).fetchone()
    assert joined == (1,)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", "no SQL statement"),
        ("  ;  -- nothing", "no SQL statement"),
        ("SELEKT 1", "does not parse"),
        ("SELECT 'unterminated", "does not parse"),
        ("SELECT 1 " + " " * MAX_SQL_CHARS, "limit is"),
        ("SELECT " + "1 + " * 40_000 + "1", "limit is"),
    ],
    ids=["empty", "blank", "misspelt", "unterminated", "padded", "oversized"],
)
def test_malformed_and_oversized_sql_is_an_input_error(sql: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        warehouse.query(sql)


def test_bad_column_names_are_a_query_error_naming_them(filled: Path) -> None:
    with pytest.raises(QueryError, match="nope"):
        warehouse.query("SELECT nope FROM campaign_daily")


def test_one_select_in_its_many_forms_runs(filled: Path) -> None:
    for sql in (
        "SELECT count(*) AS n FROM campaign_daily",
        "FROM campaign_daily SELECT count(*) AS n",
        "WITH c AS (SELECT * FROM campaign_daily) SELECT count(*) AS n FROM c",
        "SELECT count(*) AS n FROM campaign_daily;",
        "-- a comment\nSELECT count(*) AS n FROM campaign_daily",
    ):
        for cached in (True, False):
            assert warehouse.query(sql, cached=cached).n[0] == 3, sql
    assert len(warehouse.query("DESCRIBE campaign_daily")) == len(warehouse.TABLES["campaign_daily"].columns)


def test_a_replayed_query_gives_the_same_answer(filled: Path) -> None:
    sql = "SELECT campaign_id, spend FROM campaign_daily ORDER BY campaign_id"
    first = warehouse.query(sql)
    assert first.equals(warehouse.query(sql)) and first.equals(warehouse.query(sql, cached=False))


def test_a_row_limit_refuses_a_bigger_result_instead_of_cutting_it(filled: Path) -> None:
    assert len(warehouse.query("SELECT * FROM range(10)", max_rows=10)) == 10
    with pytest.raises(QueryError, match="more than 9 rows"):
        warehouse.query("SELECT * FROM range(10)", max_rows=9)
    with pytest.raises(QueryError, match="more than 5 rows"):
        warehouse.query("SELECT * FROM range(1000000000000)", max_rows=5, cached=False)
    with pytest.raises(InputError, match="max_rows"):
        warehouse.query("SELECT 1", max_rows=-1)


def test_a_timeout_stops_a_runaway_query(filled: Path) -> None:
    for cached in (True, False):
        with pytest.raises(QueryError, match="longer than 0.2 s"):
            warehouse.query("SELECT count(*) FROM range(1000000000000)", timeout=0.2, cached=cached)
    # the cached connection still answers afterwards
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily", timeout=30).n[0] == 3
    with pytest.raises(InputError, match="timeout"):
        warehouse.query("SELECT 1", timeout=0)
