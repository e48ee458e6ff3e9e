"""Sync throughput and memory beside their floors: the demo's initial load against a raw
`write_deltalake` of the same rows, an incremental sync against a raw Delta MERGE of the rows it
read, the peak RSS of each against the raw write's, and the upsert of a restated window."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

from adops import warehouse
from adops.ingest import build_demo, sync
from adops.warehouse import delta
from benchmarks._floor import line, load, peak_rss_mib
from benchmarks._workspace import synthetic_daily, workspace

RUNS = 3
DAILY = ("campaign_daily", "ad_daily")


def main(parts: Sequence[str] = ()) -> None:
    """Every part, or the named ones (`python -m benchmarks.bench_sync demo demo-memory`: the demo's
    throughput and peak RSS only, about a minute)."""
    steps: dict[str, Callable[[], None]] = {
        "demo": demo_throughput,
        "sync": incremental_sync,
        "memory": peak_memory,
        "demo-memory": lambda: peak_memory(sync=False),
        "upsert": upserts,
    }
    unknown = [p for p in parts if p not in steps]
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; use: {', '.join(steps)}")
    print(f"   ({load()})")
    for name in parts or ("demo", "sync", "memory", "upsert"):
        steps[name]()


def snapshot_tables() -> dict[str, pa.Table]:
    """Every table of the current snapshot, in memory."""
    con = warehouse.connect()
    try:
        return {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in warehouse.TABLES}
    finally:
        con.close()


def raw_write(tables: dict[str, pa.Table]) -> float:
    """Seconds to write the tables with bare write_deltalake into a new folder (the floor)."""
    with tempfile.TemporaryDirectory(prefix="adops-floor-") as folder:
        t0 = time.perf_counter()
        for name, table in tables.items():
            write_deltalake(str(Path(folder) / name), conform(name, table))
        return time.perf_counter() - t0


def conform(name: str, table: pa.Table) -> pa.Table:
    return table.cast(warehouse.TABLES[name].schema)


def demo_throughput() -> None:
    project, floor = [], []
    for _ in range(RUNS):
        with workspace("2026-11-24"):
            t0 = time.perf_counter()
            demo = build_demo(days=400, seed=7)
            project.append(time.perf_counter() - t0)
            tables = snapshot_tables()
        floor.append(raw_write(tables))
    rows = demo.rows
    p, f = rows / statistics.median(project), rows / statistics.median(floor)
    print(
        f"   adops demo, 400 days, 14 accounts, {rows:,} daily rows (simulate + validate + write), "
        f"median of {RUNS}, rows/s (min time {min(project):.2f}s)"
    )
    print(line("demo build", p, f, "rows/s", lower_is_better=False) + "  (floor: write_deltalake)")


def incremental_sync() -> None:
    project, floor, rows = [], [], 0
    for _ in range(RUNS):
        with workspace("2026-11-29") as home:
            build_demo(days=400, seed=7)
            before = Path(home) / "before"
            shutil.copytree(delta.root(), before)
            os.environ["ADOPS_TODAY"] = "2026-12-04"
            t0 = time.perf_counter()
            result = sync()
            project.append(time.perf_counter() - t0)
            rows = result.rows
            read = window_rows(result)
            t0 = time.perf_counter()
            for name, source in read.items():
                raw_merge(before / name, source, warehouse.TABLES[name].key)
            floor.append(time.perf_counter() - t0)
    p, f = statistics.median(project), statistics.median(floor)
    print(
        f"   incremental sync after 5 days: {rows:,} rows read (lookback windows), median of {RUNS} "
        f"= {rows / p:,.0f} rows/s (min {min(project):.2f}s)"
    )
    print(line("adops sync", p, f, "s") + "  (floor: Delta MERGE of the same rows)")


def window_rows(result: object) -> dict[str, pa.Table]:
    """The daily rows the sync read, as they now stand (each account's window)."""
    tables = snapshot_tables()
    out = {}
    for name in DAILY:
        table = tables[name]
        keep = pa.array(np.zeros(table.num_rows, dtype=bool))
        for acc in result.accounts:  # type: ignore[attr-defined]
            mine = pc.and_(
                pc.and_(
                    pc.equal(table["platform"], acc.platform), pc.equal(table["account_id"], acc.account_id)
                ),
                pc.and_(pc.greater_equal(table["date"], acc.since), pc.less_equal(table["date"], acc.until)),
            )
            keep = pc.or_(keep, mine)
        out[name] = conform(name, table.filter(keep))
    return out


def raw_merge(path: Path, source: pa.Table, key: tuple[str, ...]) -> None:
    on = " AND ".join(f"t.{k} = s.{k}" for k in key)
    (
        DeltaTable(str(path))
        .merge(source, on, source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )


DEMO_CHILD = """
import os
from adops.ingest import build_demo
build_demo(days=400, seed=7)
"""
SYNC_CHILD = """
from adops.ingest import sync
print(sync().rows)
"""
WRITE_CHILD = """
import sys
from pathlib import Path
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
for name in ("accounts", "campaigns", "ads", "fx_rates", "campaign_daily", "ad_daily"):
    table = DeltaTable(str(src / name)).to_pyarrow_dataset().to_table()
    write_deltalake(str(dst / name), table)
"""
MERGE_CHILD = """
import sys
from pathlib import Path
import pyarrow.dataset as ds
from deltalake import DeltaTable
import datetime
before, after = Path(sys.argv[1]), Path(sys.argv[2])
since = datetime.date.fromisoformat(sys.argv[3])
keys = {"campaign_daily": ("platform", "account_id", "campaign_id", "date"),
        "ad_daily": ("platform", "account_id", "ad_id", "date")}
for name, key in keys.items():
    rows = DeltaTable(str(after / name)).to_pyarrow_dataset().to_table(filter=ds.field("date") >= ds.scalar(since))
    on = " AND ".join(f"t.{k} = s.{k}" for k in key)
    DeltaTable(str(before / name)).merge(rows, on, source_alias="s", target_alias="t") \\
        .when_matched_update_all().when_not_matched_insert_all().execute()
"""


def peak_memory(sync: bool = True) -> None:
    """Peak RSS of fresh processes: the demo build and an incremental sync, against a bare process
    writing (or merging) the same rows with deltalake."""
    demo: list[float] = []
    write: list[float] = []
    syncs: list[float] = []
    merge: list[float] = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="adops-bench-rss-") as home:
            env = {"ADOPS_HOME": home, "ADOPS_TODAY": "2026-11-29"}
            demo.append(peak_rss_mib(DEMO_CHILD, env)[0])
            wh = Path(home) / "warehouse"
            write.append(peak_rss_mib(WRITE_CHILD, args=[str(wh), str(Path(home) / "raw")])[0])
            if not sync:
                continue
            shutil.copytree(wh, Path(home) / "before")
            syncs.append(peak_rss_mib(SYNC_CHILD, {**env, "ADOPS_TODAY": "2026-12-04"})[0])
            since = str(date(2026, 12, 4) - timedelta(days=30))
            merge.append(peak_rss_mib(MERGE_CHILD, args=[str(Path(home) / "before"), str(wh), since])[0])
    print(f"   peak RSS of a fresh process, median of {RUNS} (min in brackets)")
    print(
        line(f"adops demo (min {min(demo):,.0f})", statistics.median(demo), statistics.median(write), "MiB")
        + "  (floor: write_deltalake of its rows)"
    )
    if not sync:
        return
    print(
        line(f"adops sync (min {min(syncs):,.0f})", statistics.median(syncs), statistics.median(merge), "MiB")
        + "  (floor: Delta MERGE of its window)"
    )


def upserts() -> None:
    for base_rows in (1_000_000, 10_000_000):
        merge_window(base_rows)


def merge_window(base_rows: int, repeat: int = 3) -> None:
    """Upsert a restated 30-day window (every row's conversions changed) into `base_rows` rows, `repeat`
    times with new values each time; prints the median beside a raw Delta MERGE of the same rows."""
    with workspace() as home:
        table = synthetic_daily("ad_daily", base_rows)
        warehouse.commit({"ad_daily": table})
        floor_path = Path(home) / "floor"
        write_deltalake(str(floor_path), table)
        cutoff = date(2026, 11, 24) - timedelta(days=29)
        window = table.filter(pc.greater_equal(table["date"], cutoff))
        column = window.schema.get_field_index("conversions")
        took, floor = [], []
        for _ in range(repeat):
            window = window.set_column(column, "conversions", pc.add(window["conversions"], 1.0))
            t0 = time.perf_counter()
            warehouse.commit({"ad_daily": window})
            took.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            raw_merge(floor_path, window, warehouse.TABLES["ad_daily"].key)
            floor.append(time.perf_counter() - t0)
        p, f = statistics.median(took), statistics.median(floor)
        print(
            f"   upsert of a restated 30-day window ({window.num_rows:,} rows) into {base_rows:,} rows of "
            f"ad_daily, median of {repeat} (min {min(took):.2f}s) = {window.num_rows / p:,.0f} rows/s"
        )
        print(line("upsert", p, f, "s") + "  (floor: Delta MERGE of the same rows)")


if __name__ == "__main__":
    main(sys.argv[1:])
