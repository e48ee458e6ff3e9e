import pandas as pd
import pytest
from deltalake import DeltaTable

from adops import warehouse
from adops.warehouse import ReadOnlyError, SchemaError
from tests.warehouse.support import rows


def test_empty_warehouse_has_every_view() -> None:
    con = warehouse.connect()
    for name in warehouse.TABLES:
        assert con.execute(f"SELECT count(*) FROM {name}").fetchone() == (0,)
    assert warehouse.query("SELECT count(*) AS n FROM ad_daily").n[0] == 0


def test_merge_is_an_upsert_on_the_key() -> None:
    warehouse.commit({"campaign_daily": rows(3)})
    warehouse.commit({"campaign_daily": rows(3)})  # same rows again: nothing changes
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily").n[0] == 3
    warehouse.commit({"campaign_daily": pd.concat([rows(2, spend=12.5), rows(1, day="2026-11-02")])})
    frame = warehouse.query("SELECT campaign_id, date, spend FROM campaign_daily ORDER BY date, campaign_id")
    assert list(frame.spend) == [12.5, 12.5, 10.0, 10.0]


def test_unchanged_rows_are_not_rewritten() -> None:
    warehouse.commit({"campaign_daily": rows(3)})
    warehouse.commit({"campaign_daily": rows(3).assign(synced_at=pd.Timestamp("2026-11-05", tz="UTC"))})
    assert warehouse.query("SELECT max(synced_at) AS s FROM campaign_daily").s[0].day == 2


def test_a_pinned_connection_never_sees_a_later_commit() -> None:
    warehouse.commit({"campaign_daily": rows(2)})
    notebook = warehouse.connect()
    warehouse.commit({"campaign_daily": rows(5, spend=99.0)})
    assert notebook.execute("SELECT count(*), max(spend) FROM campaign_daily").fetchone() == (2, 10.0)
    assert warehouse.connect().execute("SELECT count(*), max(spend) FROM campaign_daily").fetchone() == (
        5,
        99.0,
    )
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily").n[0] == 5  # the cache follows


def test_a_writer_that_died_before_publishing_is_undone(workspace) -> None:  # type: ignore[no-untyped-def]
    warehouse.commit({"campaign_daily": rows(2)})
    # a merge lands in the Delta log, then the process dies before the snapshot is published
    dt = DeltaTable(str(workspace / "warehouse" / "campaign_daily"))
    bad = warehouse.validate(warehouse.TABLES["campaign_daily"], rows(4, spend=666.0))
    dt.merge(
        bad, "t.campaign_id = s.campaign_id AND t.date = s.date", source_alias="s", target_alias="t"
    ).when_matched_update_all().when_not_matched_insert_all().execute()
    assert warehouse.query("SELECT max(spend) AS m FROM campaign_daily").m[0] == 10.0  # readers unaffected
    warehouse.commit({"campaign_daily": rows(1, day="2026-11-03")})
    frame = warehouse.query("SELECT spend FROM campaign_daily")
    assert len(frame) == 3 and 666.0 not in set(frame.spend)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (rows().drop(columns="spend"), "missing column"),
        (rows().assign(campaign_id=[None, "a", "b"]), "null values in key column campaign_id"),
        (rows().assign(campaign_id="same"), "duplicate key"),
        (rows().assign(spend=-1.0), "negative spend"),
        (rows().assign(clicks="many"), "campaign_daily"),
    ],
)
def test_bad_rows_are_refused_and_nothing_is_written(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        warehouse.commit({"campaign_daily": frame})
    assert warehouse.snapshot().versions == {}


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM campaign_daily",
        "CREATE TABLE x (a INT)",
        "SELECT 1; DROP VIEW campaign_daily",
        "COPY campaign_daily TO 'x.csv'",
    ],
)
def test_query_refuses_writes(sql: str) -> None:
    with pytest.raises(ReadOnlyError):
        warehouse.query(sql)


def test_query_takes_parameters() -> None:
    warehouse.commit({"campaign_daily": rows(3)})
    frame = warehouse.query(
        "SELECT count(*) AS n FROM campaign_daily WHERE campaign_id IN (?, ?)", ["c0", "c2"]
    )
    assert frame.n[0] == 2


def test_account_daily_rollup_matches_campaign_daily() -> None:
    warehouse.commit({"campaign_daily": pd.concat([rows(3), rows(2, spend=5.0, day="2026-11-02")])})
    cached = warehouse.query(
        "SELECT date, sum(spend) AS s, sum(campaign_days) AS n FROM account_daily GROUP BY 1 ORDER BY 1"
    )
    assert list(cached.s) == [30.0, 10.0] and list(cached.n) == [3, 2]
    pinned = warehouse.connect().execute("SELECT sum(spend), count(*) FROM account_daily").fetchone()
    assert pinned == (40.0, 2)


def test_a_rebuilt_warehouse_is_a_new_snapshot(workspace) -> None:  # type: ignore[no-untyped-def]
    import shutil

    warehouse.commit({"campaign_daily": rows(3)})
    first = warehouse.snapshot()
    assert warehouse.query("SELECT count(*) AS n FROM campaign_daily").n[0] == 3  # cached in memory
    shutil.rmtree(workspace / "warehouse")  # what `adops demo` does before it rebuilds
    warehouse.commit({"campaign_daily": rows(1, spend=7.0)})
    again = warehouse.snapshot()
    assert again.versions == first.versions and again.id != first.id
    assert list(warehouse.query("SELECT spend FROM campaign_daily").spend) == [7.0]


def test_maintenance_compacts_small_files_and_keeps_the_data(workspace) -> None:  # type: ignore[no-untyped-def]
    from adops.ingest import maintain

    for day in range(1, 21):  # twenty syncs, twenty small files
        warehouse.commit({"campaign_daily": rows(3, day=f"2026-10-{day:02d}")})
    files_before = len(DeltaTable(str(workspace / "warehouse" / "campaign_daily")).file_uris())
    total = warehouse.query("SELECT count(*) AS n, sum(spend) AS s FROM campaign_daily")
    removed = maintain()
    files_after = len(DeltaTable(str(workspace / "warehouse" / "campaign_daily")).file_uris())
    assert files_before >= 20 and files_after < files_before and removed["campaign_daily"] >= 20
    again = warehouse.query("SELECT count(*) AS n, sum(spend) AS s FROM campaign_daily")
    assert (again.n[0], again.s[0]) == (total.n[0], total.s[0]) == (60, 600.0)
