"""A warehouse written before a column was added (ad_daily.reach) gains it on its next write by Delta
schema evolution: the history's files are not rewritten, and readers see the old rows' value as null."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from adops import warehouse
from adops.warehouse import delta
from adops.warehouse.tables import TABLES


def _ad_rows(first: date, days: int, reach: int | None = None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "date": [first + timedelta(days=i) for i in range(days) for _ in range(2)],
            "platform": "meta",
            "account_id": "act_1",
            "campaign_id": "c1",
            "ad_group_id": "g1",
            "ad_id": ["a1", "a2"] * days,
            "ad_name": ["Ad 1", "Ad 2"] * days,
            "currency": "USD",
            "impressions": 1000,
            "clicks": 10,
            "spend": 5.0,
            "conversions": 1.0,
            "conversion_value": 20.0,
            "spend_reporting": 5.0,
            "conversion_value_reporting": 20.0,
            "reporting_currency": "USD",
            "synced_at": pd.Timestamp("2026-11-02", tz="UTC"),
            "sync_run_id": 1,
        }
    )
    if reach is not None:
        out["reach"] = reach
    return out


@pytest.fixture
def old_warehouse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """ad_daily written in the schema it had before `reach`: 30 days in one write per week."""
    new = TABLES["ad_daily"]
    old = replace(
        new,
        schema=pa.schema([f for f in new.schema if f.name != "reach"]),
        compare=tuple(c for c in new.compare if c != "reach"),
        optional=(),
    )
    with monkeypatch.context() as patch:
        patch.setitem(TABLES, "ad_daily", old)
        for week in range(4):
            warehouse.commit({"ad_daily": _ad_rows(date(2026, 10, 1) + timedelta(days=7 * week), 7)})
    dt = DeltaTable(delta._uri("ad_daily"))
    assert "reach" not in dt.schema().to_arrow().names  # type: ignore[attr-defined]
    return list(dt.file_uris())


def test_next_write_adds_the_column_without_rewriting_history(old_warehouse: list[str]) -> None:
    warehouse.commit({"ad_daily": _ad_rows(date(2026, 10, 27), 3, reach=600)})
    dt = DeltaTable(delta._uri("ad_daily"))
    assert dt.schema().to_arrow().names[-1] == "reach"  # type: ignore[attr-defined]
    files = set(dt.file_uris())
    kept = [f for f in old_warehouse if f in files]
    assert len(kept) >= 3  # the first three weeks' files are the same files, not rewritten
    frame = warehouse.query(
        "SELECT date, count(*) AS n, count(reach) AS with_reach, sum(reach) AS reach "
        "FROM ad_daily GROUP BY date ORDER BY date"
    )
    assert len(frame) == 29  # 28 old days (the 27th and 28th restated with reach) and one new day
    old_days = frame[frame["date"] < pd.Timestamp("2026-10-27")]
    assert (old_days["n"] == 2).all() and (old_days["with_reach"] == 0).all()
    new_days = frame[frame["date"] >= pd.Timestamp("2026-10-27")]
    assert (new_days["with_reach"] == 2).all() and (new_days["reach"] == 1200).all()


def test_both_readers_read_a_mixed_table(old_warehouse: list[str]) -> None:
    warehouse.commit({"ad_daily": _ad_rows(date(2026, 10, 29), 1, reach=700)})
    con = warehouse.connect()
    try:
        via_arrow = con.execute("SELECT count(*), count(reach), sum(reach) FROM ad_daily").fetchone()
    finally:
        con.close()
    via_parquet = warehouse.query("SELECT count(*) AS n, count(reach) AS r, sum(reach) AS s FROM ad_daily")
    assert via_arrow == (58, 2, 1400)
    assert tuple(via_parquet.iloc[0]) == (58, 2, 1400)


def test_an_old_warehouse_reads_before_any_write(old_warehouse: list[str]) -> None:
    """Opened by code that knows the column: it reads as null until the next write."""
    frame = warehouse.query("SELECT count(*) AS n, count(reach) AS r FROM ad_daily")
    assert tuple(frame.iloc[0]) == (56, 0)


def test_a_restated_reach_rewrites_the_row(old_warehouse: list[str]) -> None:
    warehouse.commit({"ad_daily": _ad_rows(date(2026, 10, 20), 2)})  # no reach column: optional, null
    assert warehouse.query("SELECT count(reach) AS r FROM ad_daily")["r"][0] == 0
    warehouse.commit({"ad_daily": _ad_rows(date(2026, 10, 20), 2, reach=900)})
    got = warehouse.query(
        "SELECT sum(reach) AS s FROM ad_daily WHERE date BETWEEN DATE '2026-10-20' AND DATE '2026-10-21'"
    )
    assert got["s"][0] == 3600
