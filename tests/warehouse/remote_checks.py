"""Checks every object-storage warehouse (S3, Azure, GCS) must pass, shared by their test files."""

from __future__ import annotations

import json
import threading
from datetime import date

import pyarrow as pa

from adops import warehouse
from adops.warehouse import storage


def names(uri: str) -> list[str]:
    """Every file under the warehouse root, relative to it."""
    import pyarrow.fs as pafs

    fs, path = storage._fs(uri)
    return [
        i.path.removeprefix(path + "/") for i in fs.get_file_info(pafs.FileSelector(path, recursive=True))
    ]


def demo_sync_and_queries(uri: str) -> int:
    """A demo, the notebook connection, an incremental sync and `adops query` on the warehouse at
    `uri`; returns campaign_daily's row count."""
    from typer.testing import CliRunner

    from adops.cli import app
    from adops.ingest import build_demo, sync

    assert build_demo(days=21, seed=3, campaigns_per_account=(2, 3)).status == "success"
    found = names(uri)
    assert "_snapshot.json" in found
    assert any(n.startswith("campaign_daily/_delta_log/") for n in found)
    assert any(n.startswith("ad_daily/") and n.endswith(".parquet") for n in found)

    before = warehouse.query("select count(*) as n, sum(clicks) as c from campaign_daily")
    rows = int(before["n"].iloc[0])
    assert rows > 0
    assert len(warehouse.query("select platform from campaign_daily group by 1")) == 6
    con = warehouse.connect()  # the notebook entry point
    try:
        assert con.execute("select count(*) from campaign_daily").fetchone()[0] == rows  # type: ignore[index]
    finally:
        con.close()

    result = sync(since=date(2026, 11, 20))  # an incremental sync: the last days again, upserted
    assert result.status == "success" and result.rows > 0
    after = warehouse.query("select count(*) as n from campaign_daily")
    assert after["n"].iloc[0] == rows  # restated days replaced, not duplicated

    out = CliRunner().invoke(app, ["query", "select count(*) as n from campaign_daily", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["n"] == rows
    return rows


def eight_writers_race(root: str) -> None:
    """Eight writers append to one table at once: every commit lands (the store's conditional writes
    let exactly one writer win each commit number; the others retry)."""
    from deltalake import DeltaTable, write_deltalake

    uri = storage.join(root, "race")
    write_deltalake(uri, pa.table({"n": pa.array([0], pa.int64())}))
    errors: list[BaseException] = []

    def append(i: int) -> None:
        try:
            write_deltalake(uri, pa.table({"n": pa.array([i], pa.int64())}), mode="append")
        except BaseException as exc:  # collected: the assertion below names them
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    table = DeltaTable(uri)
    assert table.version() == 8
    assert sorted(table.to_pyarrow_table()["n"].to_pylist()) == list(range(9))
