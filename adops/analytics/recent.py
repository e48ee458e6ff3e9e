"""The recent days of `ad_daily` and `campaign_daily` in memory, once per warehouse snapshot.

The analysis page's ad-level queries group hundreds of thousands of rows by four or five string keys;
read from the Parquet files, that is most of a second at 10M rows. Here the last `RECENT_DAYS` days
of each table are loaded once per snapshot (and process) into an in-memory DuckDB, with each entity
(an ad with its campaign and ad group, or a campaign) numbered by its 64-bit hash (`<table>_keys`;
a window whose hashes collide is not used), so a query groups integers and joins the few thousand
entities' names afterwards.

It is loaded from the snapshot it is kept for (`warehouse.connect(snap)`), so it holds exactly what
that snapshot's `ad_daily` and `campaign_daily` hold from `first` on; every commit (sync, demo,
restatement) publishes a new snapshot, and the next call loads the window again. Ranges reaching
before `first` are not covered: callers read the Parquet files then. The first call after a sync
pays the load (see docs/benchmarks.md, "Cross-platform analysis").
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from adops import warehouse
from adops.warehouse.tables import TABLES

__all__ = ["KEYS", "RECENT_DAYS", "Recent", "clear", "load", "recent"]

#: days of history kept in memory, counted back from the table's last day: a 90-day range and the
#: 90 days before it, with a week's slack for a range ending before the last day
RECENT_DAYS = 190
#: each table's entity key, as the breakdowns group it
KEYS: dict[str, tuple[str, ...]] = {
    "ad_daily": ("platform", "account_id", "campaign_id", "ad_group_id", "ad_id"),
    "campaign_daily": ("platform", "account_id", "campaign_id"),
}
#: an entity's number: the 64-bit hash of its key (the window lives in one process: no need to last)
NUMBER = "hash({})"
#: the metrics the analysis sums (money in the reporting currency)
METRICS = ("impressions", "clicks", "spend_reporting", "conversions", "conversion_value_reporting")
#: per table, SQL for each summed column of the window: the metrics, and for ads the reach of the days
#: that report one with those days' impressions (`reach_impressions`: frequency's numerator)
COLUMNS: dict[str, dict[str, str]] = {
    "ad_daily": {
        **{m: m for m in METRICS},
        **(
            {
                "reach": "CASE WHEN reach > 0 THEN reach ELSE 0 END",
                "reach_impressions": "CASE WHEN reach > 0 THEN impressions ELSE 0 END",
            }
            if "reach" in TABLES["ad_daily"].columns
            else {}
        ),
    },
    "campaign_daily": {m: m for m in METRICS},
}


@dataclass(frozen=True)
class Recent:
    """One snapshot's recent window: `recent_<table>` (date, k, metrics; sorted by date), its sums
    per week (`recent_<table>_weeks`: week, k, metrics; a week before the window's first day holds
    only the days in it) and
    `recent_<table>_keys` (k, the entity key's hash, and the entity key) per table, plus copies of `ads` and `campaigns`
    as `recent_ads` and `recent_campaigns` for names. `first[table]` is the first day held (None:
    the table is empty)."""

    con: duckdb.DuckDBPyConnection
    snapshot_id: str
    first: dict[str, date | None]

    def covers(self, table: str, start: date) -> bool:
        """True when every day from `start` on is held for `table`."""
        first = self.first.get(table)
        return first is not None and start >= first

    def query(self, sql: str, params: Any = None) -> pd.DataFrame:
        """Run one read on the window (a cursor of its own: safe from several threads)."""
        from adops.warehouse import QueryError

        cur = self.con.cursor()
        try:
            return cur.execute(sql, params).df()
        except duckdb.Error as exc:  # as the warehouse's own queries say it: one line, an InputError
            raise QueryError(str(exc).splitlines()[0]) from None
        finally:
            cur.close()


log = logging.getLogger(__name__)
_lock = threading.Lock()
_held: list[tuple[str, Recent]] = []  # the one window kept: (workspace, window)


def recent() -> Recent:
    """The window of the latest snapshot, loaded on first use after each commit (one load at a time).
    The window it replaces is dropped, not closed: a query still running on it finishes, and its
    memory goes with the last reference."""
    from adops.warehouse import delta

    snap = warehouse.snapshot()
    where = str(delta.root())
    with _lock:
        if _held and _held[0][0] == where and _held[0][1].snapshot_id == snap.id:
            return _held[0][1]
        try:
            fresh = load(snap)
        except duckdb.Error as exc:  # e.g. past warehouse_memory_limit: every query reads the files
            log.warning("the recent window was not loaded (%s): analysis reads the Parquet files", exc)
            fresh = Recent(duckdb.connect(config=warehouse.READ_ONLY_SETTINGS), snap.id, dict.fromkeys(KEYS))
        _held[:] = [(where, fresh)]
        return fresh


def load(snap: warehouse.Snapshot, days: int = RECENT_DAYS) -> Recent:
    """Load the last `days` days of the daily tables of `snap` into a new in-memory DuckDB.

    On local disk it reads through the warehouse's own reader (DuckDB's Parquet reader over the
    snapshot's files, nothing else reachable: half the CPU of the Arrow datasets `connect` scans)."""
    from adops import config
    from adops.warehouse import delta, storage

    local = not storage.is_remote(config.load().warehouse_uri)
    con = delta._reader(snap) if local else warehouse.connect(snap)
    first: dict[str, date | None] = {}
    try:
        for table, keys in KEYS.items():
            last = con.execute(f"SELECT max(date) FROM {table}").fetchone()
            start = None if last is None or last[0] is None else last[0] - timedelta(days=days - 1)
            first[table] = start
            since = f"DATE '{start.isoformat()}'" if start else "NULL"
            cols = ", ".join(keys)
            summed = COLUMNS[table]
            con.execute(
                f"CREATE TEMP TABLE window_rows AS SELECT date, {cols}, {NUMBER.format(cols)} AS k, "
                f"{', '.join(f'{sql} AS {name}' for name, sql in summed.items())} "
                f"FROM {table} WHERE date >= {since}"
            )
            con.execute(f"CREATE TABLE recent_{table}_keys AS SELECT DISTINCT k, {cols} FROM window_rows")
            keys_held, numbers = con.execute(
                f"SELECT count(*), count(DISTINCT k) FROM recent_{table}_keys"
            ).fetchone() or (0, 0)
            if keys_held != numbers:  # two entities with one 64-bit hash: not held, read from the files
                first[table] = None
            con.execute(
                f"""CREATE TABLE recent_{table} AS SELECT date, k, {", ".join(summed)}
                    FROM window_rows ORDER BY date"""
            )
            con.execute(
                f"""CREATE TABLE recent_{table}_weeks AS
                    SELECT date_trunc('week', date)::DATE AS week, k, {", ".join(f"sum({m}) AS {m}" for m in summed)}
                    FROM recent_{table} GROUP BY ALL ORDER BY week"""
            )
            con.execute("DROP TABLE window_rows")
        con.execute("CREATE TABLE recent_ads AS SELECT * FROM ads")
        con.execute("CREATE TABLE recent_campaigns AS SELECT * FROM campaigns")
    except BaseException:
        con.close()
        raise
    return Recent(con, snap.id, first)


def clear() -> None:
    """Forget every window held (tests, benchmarks)."""
    with _lock:
        _held.clear()
