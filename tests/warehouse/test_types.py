"""Every string column keeps one Arrow type across writes, so any filter works after any sync.

Delta-rs' MERGE writes `string_view` files; PyArrow then could not filter a table mixing both kinds
(`Function 'equal' has no kernel matching input types (string, string_view)`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from adops import warehouse
from adops.warehouse import SchemaError
from tests.warehouse.support import rows


def string_types(home: Path) -> set[tuple[str, str, str]]:
    """(table, column, Arrow type) of every string-like column in every live file."""
    found = set()
    for name in warehouse.TABLES:
        path = home / "warehouse" / name
        if not DeltaTable.is_deltatable(str(path)):
            continue
        for uri in DeltaTable(str(path)).file_uris():
            for field in pq.read_schema(uri.removeprefix("file://")):
                if "string" in str(field.type) or "binary" in str(field.type):
                    found.add((name, field.name, str(field.type)))
    return found


@pytest.mark.slow
def test_filters_on_every_string_column_after_a_sync_that_changed_data(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adops.connectors.sandbox.connector import SandboxConnector
    from adops.ingest import build_demo, sync

    build_demo(days=20, seed=3, campaigns_per_account=(2, 3))
    ad = warehouse.query(
        "SELECT platform, account_id, ad_id, campaign_id FROM ads ORDER BY ad_id LIMIT 1"
    ).iloc[0]
    sandbox = SandboxConnector(ad.platform)
    sandbox.set_status(ad.account_id, "ad", ad.ad_id, "PAUSED")
    sandbox.set_status(ad.account_id, "campaign", ad.campaign_id, "PAUSED")
    monkeypatch.setenv("ADOPS_TODAY", "2026-11-25")
    assert sync().status == "success"

    assert warehouse.query("SELECT count(*) AS n FROM ads WHERE status = 'PAUSED'", cached=False).n[0] == 1
    assert {t for _, _, t in string_types(workspace)} == {"string"}
    con = warehouse.connect()
    for name, table in warehouse.TABLES.items():
        for field in table.schema:
            if field.type != pa.string():
                continue
            value = con.execute(f"SELECT min({field.name}) FROM {name}").fetchone()[0]  # type: ignore[index]
            if value is None:
                continue
            sql = f"SELECT count(*) AS n FROM {name} WHERE {field.name} = ?"
            pinned = con.execute(sql, [value]).fetchone()[0]  # type: ignore[index]
            assert pinned >= 1, (name, field.name)
            assert warehouse.query(sql, [value]).n[0] == pinned, (name, field.name)
            assert warehouse.query(sql, [value], cached=False).n[0] == pinned, (name, field.name)


def test_readers_filter_tables_that_mix_string_kinds(workspace: Path) -> None:
    """Files an older version wrote through MERGE (string_view) still filter; repair rewrites them."""
    warehouse.commit({"campaign_daily": rows(3)})
    path = str(workspace / "warehouse" / "campaign_daily")
    dt = DeltaTable(path)
    update = warehouse.validate(warehouse.TABLES["campaign_daily"], rows(1, spend=50.0))
    dt.merge(
        update,
        "t.campaign_id = s.campaign_id AND t.date = s.date",
        source_alias="s",
        target_alias="t",
    ).when_matched_update_all().execute()
    (workspace / "warehouse" / "_snapshot.json").write_text(
        f'{{"versions": {{"campaign_daily": {DeltaTable(path).version()}}}, "token": "old"}}'
    )
    assert ("campaign_daily", "campaign_id", "string_view") in string_types(workspace)
    sql = "SELECT spend FROM campaign_daily WHERE campaign_id = 'c0'"
    assert warehouse.connect().execute(sql).fetchone() == (50.0,)
    assert list(warehouse.query(sql, cached=False).spend) == [50.0]

    assert warehouse.repair()["rewritten"] == ["campaign_daily"]
    assert {t for _, _, t in string_types(workspace)} == {"string"}
    assert list(warehouse.query(sql, cached=False).spend) == [50.0]
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily").n[0] == 3


def test_upserts_write_the_tables_own_types(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": rows(3)})
    warehouse.commit({"campaign_daily": rows(3, spend=20.0)})  # every row changes
    warehouse.commit({"campaign_daily": rows(2, day="2026-11-02")})
    assert {t for _, _, t in string_types(workspace)} == {"string"}
    frame = warehouse.query(
        "SELECT count(*) AS n, sum(spend) AS s FROM campaign_daily WHERE platform = 'meta'"
    )
    assert (frame.n[0], frame.s[0]) == (5, 80.0)


def test_arrow_rows_are_conformed_to_the_schema() -> None:
    table = warehouse.TABLES["campaign_daily"]
    arrow = warehouse.validate(table, rows(2))
    viewed = arrow.set_column(1, "platform", arrow["platform"].cast(pa.string_view()))
    large = viewed.set_column(2, "account_id", arrow["account_id"].cast(pa.large_string()))
    shuffled = large.select(list(reversed(large.column_names)))
    assert warehouse.conform(table, shuffled).schema == table.schema
    warehouse.commit({"campaign_daily": shuffled})
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily WHERE platform = 'meta'").n[0] == 2
    with pytest.raises(SchemaError, match="missing column"):
        warehouse.conform(table, arrow.drop_columns(["spend"]))
    with pytest.raises(SchemaError, match="campaign_daily"):
        warehouse.conform(table, arrow.set_column(0, "date", pa.array(["not a date"] * 2)))


def test_a_table_written_with_an_older_schema_takes_the_new_one(workspace: Path) -> None:
    """A column added to the code's schema: old rows read it as null, the next write stores it."""
    from deltalake import write_deltalake

    table = warehouse.TABLES["campaign_daily"]
    old = warehouse.validate(table, rows(2)).drop_columns(["sync_run_id"])
    old = old.append_column("legacy", pa.array(["gone", "gone"]))
    write_deltalake(str(workspace / "warehouse" / "campaign_daily"), old)
    (workspace / "warehouse" / "_snapshot.json").write_text('{"versions": {"campaign_daily": 0}}')
    assert warehouse.query("SELECT count(sync_run_id) AS n, count(*) AS m FROM campaign_daily").iloc[
        0
    ].tolist() == [0, 2]
    warehouse.commit({"campaign_daily": rows(1, day="2026-11-02")})
    frame = warehouse.query(
        "SELECT date, sync_run_id FROM campaign_daily ORDER BY date, campaign_id", cached=False
    )
    assert frame.sync_run_id.isna().tolist() == [True, True, False]
    assert str(frame.date.iloc[-1])[:10] == str(date(2026, 11, 2))
    stored = DeltaTable(str(workspace / "warehouse" / "campaign_daily")).schema().to_arrow()
    assert pa.schema(stored) == table.schema
