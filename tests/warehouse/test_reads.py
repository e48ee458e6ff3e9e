"""Reads straight from the snapshot's Parquet files, the rollup kept at commit time, the memory limit."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

from adops import config, warehouse
from adops.errors import ConfigError
from adops.warehouse import QueryError
from tests.warehouse.support import rows

ROLLUP_SQL = warehouse.ROLLUPS["account_daily"][1]
SUMMED = f"SELECT * FROM ({ROLLUP_SQL.format(source='campaign_daily')}) ORDER BY date, platform, account_id"
STORED = "SELECT * FROM account_daily ORDER BY date, platform, account_id"


def two_accounts(day: str, spend: float) -> pd.DataFrame:
    return pd.concat(
        [rows(3, spend=spend, day=day), rows(2, spend=spend, day=day).assign(account_id="act_2")]
    )


def test_each_commit_publishes_the_rollup_with_its_base(workspace: Path) -> None:
    warehouse.commit(
        {"campaign_daily": pd.concat([two_accounts("2026-11-01", 10.0), two_accounts("2026-11-02", 4.0)])}
    )
    snap = warehouse.snapshot()
    assert set(snap.rollups) == {"account_daily"} and "account_daily" not in snap.versions
    first = warehouse.query(STORED)
    assert list(first.spend) == [30.0, 20.0, 12.0, 8.0] and list(first.campaign_days) == [3, 2, 3, 2]
    # a restated later day rewrites the rollup from that day on; the earlier day is carried over
    warehouse.commit({"campaign_daily": rows(3, spend=7.0, day="2026-11-02")})
    after = warehouse.query(STORED)
    assert list(after.spend) == [30.0, 20.0, 21.0, 8.0]
    assert after.equals(warehouse.query(SUMMED))
    assert warehouse.connect().execute("SELECT sum(spend) FROM account_daily").fetchone() == (79.0,)


def test_a_replayed_commit_keeps_the_rollup_equal_to_its_sum(workspace: Path) -> None:
    batch = two_accounts("2026-11-03", 5.0)
    for _ in range(3):
        warehouse.commit({"campaign_daily": batch})
    assert warehouse.query(STORED).equals(warehouse.query(SUMMED))
    assert warehouse.query("SELECT sum(campaign_days) AS n FROM account_daily").n[0] == 5


def test_deleting_an_account_removes_it_from_the_rollup(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": two_accounts("2026-11-01", 10.0)})
    warehouse.delete_account("meta", "act_2")
    assert list(warehouse.query(STORED).account_id) == ["act_1"]


def test_a_warehouse_without_a_stored_rollup_sums_it_and_the_next_commit_stores_it(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": two_accounts("2026-11-01", 10.0)})
    manifest = workspace / "warehouse" / "_snapshot.json"
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({"versions": old["versions"], "token": "old"}))  # as written before
    assert warehouse.snapshot().rollups == {}
    assert list(warehouse.query(STORED).spend) == [30.0, 20.0]
    assert warehouse.repair()["manifest"] == "ok" and "account_daily" in warehouse.snapshot().rollups
    assert list(warehouse.query(STORED).spend) == [30.0, 20.0]


def test_a_lost_manifest_reads_the_base_and_never_an_unpublished_rollup(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": rows(3, spend=10.0)})
    (workspace / "warehouse" / "_snapshot.json").unlink()
    snap = warehouse.snapshot()
    assert snap.recovered and snap.rollups == {}
    assert list(warehouse.query(STORED).spend) == [30.0]


def test_only_the_snapshots_own_files_are_readable(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": rows(3, spend=10.0)})
    old_files = DeltaTable(str(workspace / "warehouse" / "campaign_daily")).file_uris()
    warehouse.commit({"campaign_daily": rows(3, spend=11.0)})
    for path in old_files:  # an earlier version's file: outside the snapshot, refused
        for cached in (True, False):
            with pytest.raises(QueryError, match="disabled by configuration"):
                warehouse.query(f"SELECT count(*) FROM read_parquet('{path}')", cached=cached)
    assert warehouse.query("SELECT sum(spend) AS s FROM campaign_daily").s[0] == 33.0


def test_the_memory_limit_is_a_setting(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse.commit({"campaign_daily": rows(1)})
    limit = "SELECT current_setting('memory_limit') AS m"
    assert warehouse.query(limit).m[0] == "1.0 GiB"
    (workspace / "adops.toml").write_text('warehouse_memory_limit = "256MiB"\n')
    assert warehouse.query(limit).m[0] == "256.0 MiB"
    assert warehouse.connect().execute(limit).fetchone() == ("256.0 MiB",)
    monkeypatch.setenv("ADOPS_WAREHOUSE_MEMORY_LIMIT", "512 mib")
    assert warehouse.query(limit, cached=False).m[0] == "512.0 MiB"
    for bad in ("lots", "1TB0", "10MB", "-1GB", "1" * 30 + "GB", "1GB; SET x=1"):
        monkeypatch.setenv("ADOPS_WAREHOUSE_MEMORY_LIMIT", bad)
        with pytest.raises(ConfigError, match="warehouse_memory_limit"):
            config.load()


def test_the_configuration_is_read_again_only_when_it_changes(workspace: Path) -> None:
    path = workspace / "adops.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('reporting_currency = "EUR"\n')
    assert config.load().reporting_currency == "EUR"
    path.write_text('reporting_currency = "GBP"\n')  # same size, maybe the same mtime tick: read again
    assert config.load().reporting_currency == "GBP"
    settled = time.time() - 10
    os.utime(path, (settled, settled))
    first = config.load()
    assert config.load() is first and first.reporting_currency == "GBP"  # unchanged: not read again
    path.write_text('reporting_currency = "EUR"\n')
    assert config.load().reporting_currency == "EUR"
    path.write_text("reporting_currency = 5\n")
    with pytest.raises(ConfigError):
        config.load()


def test_arrow_rows_are_validated_like_frames(workspace: Path) -> None:
    import pyarrow as pa

    table = warehouse.TABLES["campaign_daily"]
    for frame, message in (
        (rows(), None),
        (rows().assign(campaign_id="same"), "duplicate key"),
        (rows().assign(spend=-1.0), "negative spend"),
        (rows().drop(columns="currency"), "missing column"),
        (rows().assign(campaign_id=None), "null values in key column campaign_id"),
    ):
        data = pa.Table.from_pandas(frame, preserve_index=False)
        if message is None:
            assert warehouse.validate(table, data).equals(warehouse.validate(table, frame))
            continue
        for given in (frame, data):
            with pytest.raises(warehouse.SchemaError, match=message):
                warehouse.validate(table, given)
    twice = pa.Table.from_pandas(pd.concat([rows(2), rows(1)]), preserve_index=False)
    with pytest.raises(warehouse.SchemaError, match=r"duplicate key \('meta', 'act_1', 'c0', datetime.date"):
        warehouse.validate(table, twice)
