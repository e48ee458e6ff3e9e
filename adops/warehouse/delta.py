"""Delta tables on disk, read through DuckDB, with cross-table snapshots.

Writers upsert into each table, then publish the new table versions together in one small manifest
(`_snapshot.json`, replaced atomically). Readers pin the versions the manifest names, so a reader never
sees a half-applied sync, even across tables, and a killed writer leaves the last snapshot in force.
Data files are immutable, so readers take no locks and never block a writer. Writers hold the
workspace's `warehouse-write` lock (`adops.store.locks`), one at a time.

Three rules keep the data safe from what reads it and from what is lost around it:
- The read entry points accept one SELECT and nothing else, on a DuckDB connection that cannot touch
  a file, install or load an extension, or change its own settings (`connect`, `query`).
- A missing or unreadable manifest is rebuilt from the Delta logs, never taken as "no data": a
  writer never overwrites a table that holds rows (`snapshot`, `repair`).
- Every file is written with the table's own Arrow schema (strings as `string`). Delta-rs' MERGE and
  DELETE write `string_view` files, and PyArrow then cannot filter a table that mixes both, so writes
  go through `write_deltalake` (a predicate overwrite of the rows they touch), and readers read
  strings as views, which reads either kind.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from adops import config, files
from adops.errors import Conflict, InputError
from adops.warehouse import storage
from adops.warehouse.tables import ROLLUP_TABLES, ROLLUPS, TABLES, Table

log = logging.getLogger(__name__)

MANIFEST = "_snapshot.json"
#: small files keep a lookback upsert cheap: it rewrites only the files holding those days
TARGET_FILE_BYTES = 4 * 1024 * 1024
#: rows per batch handed to the Parquet writer: it pays per batch, so small slices are coalesced;
#: small enough that the copies it holds while it fills a file stay small (128k rows: +150 MiB peak)
WRITE_BATCH_ROWS = 16 * 1024
#: how long a writer waits for another writer's lock before giving up
WRITE_WAIT_S = 600.0
#: SQL longer than this is refused before it is parsed
MAX_SQL_CHARS = 100_000
#: settings of every read connection: no files, no extensions, and the settings themselves locked
READ_ONLY_SETTINGS: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


class SchemaError(InputError):
    """Rows do not fit the table: wrong type, missing column, null or duplicate key, negative metric."""


class ReadOnlyError(InputError):
    """A statement other than one SELECT was given to a read-only entry point."""


class QueryError(InputError):
    """A read-only query failed, or went past its row or time limit."""


class WriteConflict(Conflict):
    """Another writer changed a table at the same moment (processes sharing a warehouse URI, not a lock)."""


@dataclass(frozen=True)
class Snapshot:
    """Pinned versions of every table (absent: the table has no data yet).

    `token` is new at every publish: a warehouse rebuilt from scratch starts its versions at 0 again,
    and caches keyed by `id` must not take it for the old one. A snapshot rebuilt from the Delta logs
    (the manifest was missing or unreadable) has a token starting with `recovered-`. `rollups` pins
    the stored rollups (`account_daily`), published with the base tables they sum; a snapshot
    without them (recovered, or from before rollups were stored) sums the base table when read.
    """

    versions: dict[str, int]
    token: str = ""
    rollups: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        pinned = sorted(self.pinned.items())
        return ",".join([self.token, *(f"{k}={v}" for k, v in pinned)])

    @property
    def pinned(self) -> dict[str, int]:
        """Every Delta table's version: the base tables' and the stored rollups'."""
        return {**self.versions, **self.rollups}

    @property
    def recovered(self) -> bool:
        return self.token.startswith("recovered-")


def root() -> Path:
    """The warehouse folder (for object storage, see `adops.warehouse.storage` and `_uri`)."""
    return Path(config.load().warehouse_uri)


def snapshot() -> Snapshot:
    """The last published snapshot; rebuilt from the Delta logs when the manifest is lost."""
    published = _read_manifest()
    return published if published is not None else _recover()


def validate(table: Table, frame: pd.DataFrame | pa.Table) -> pa.Table:
    """Coerce rows (pandas or Arrow) to the table's schema, or raise SchemaError saying what is wrong."""
    if isinstance(frame, pa.Table):
        return _validate_arrow(table, frame)
    absent = [c for c in table.optional if c not in frame.columns]
    if absent:  # added since the writer was written: null there
        frame = frame.assign(
            **{c: pd.Series([None] * len(frame), index=frame.index, dtype=object) for c in absent}
        )
    missing = [c for c in table.columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{table.name}: missing column(s) {', '.join(missing)}")
    try:
        data = pa.Table.from_pandas(frame[table.columns], schema=table.schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise SchemaError(f"{table.name}: {exc}") from None
    for col in table.key:
        if data.column(col).null_count:
            raise SchemaError(f"{table.name}: null values in key column {col}")
    for col in ("impressions", "clicks", "spend", "conversions", "conversion_value"):
        if col in frame.columns and (frame[col] < 0).any():
            raise SchemaError(f"{table.name}: negative {col}")
    if frame.duplicated(list(table.key)).any():
        dup = frame[frame.duplicated(list(table.key), keep=False)].iloc[0]
        raise SchemaError(f"{table.name}: duplicate key {tuple(dup[k] for k in table.key)}")
    return data


def _validate_arrow(table: Table, data: pa.Table) -> pa.Table:
    """`validate` without leaving Arrow: the same checks and messages as for a DataFrame."""
    data = conform(table, data)
    for col in table.key:
        if data.column(col).null_count:
            raise SchemaError(f"{table.name}: null values in key column {col}")
    for col in ("impressions", "clicks", "spend", "conversions", "conversion_value"):
        if col in data.column_names and pc.any(pc.less(data[col], 0)).as_py():
            raise SchemaError(f"{table.name}: negative {col}")
    keys = list(table.key)
    # a column holding one value (one account's platform and id) cannot tell rows apart: left out
    varying = [k for k in keys if pc.count_distinct(data[k]).as_py() > 1] or keys[:1]
    if _keys_unique(data, varying):
        return data
    counts = data.select(varying).group_by(varying, use_threads=False).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts["count_all"], 1))
    if repeated.num_rows:
        first = {k: (repeated if k in varying else data)[k][0].as_py() for k in keys}
        raise SchemaError(f"{table.name}: duplicate key {tuple(first[k] for k in keys)}")
    return data


def _keys_unique(data: pa.Table, keys: list[str]) -> bool:
    """Whether no two rows share `keys`, by one integer code per row (each column's dictionary or
    day index, mixed radix) sorted in numpy: a fraction of a hash group-by's time. False also when
    the codes would not fit 63 bits (the caller's group-by then decides and names the duplicate)."""
    code = np.zeros(data.num_rows, dtype=np.int64)
    radix = 1
    for key in keys:
        column = data[key]
        if column.null_count:
            return False
        if pa.types.is_date32(column.type):
            index = column.cast(pa.int32()).to_numpy().astype(np.int64)
            if len(index):
                index -= index.min()
            size = int(index.max(initial=0)) + 1
        else:
            encoded = pc.dictionary_encode(
                column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            )
            index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            size = max(len(encoded.dictionary), 1)
        if radix > (1 << 62) // size:
            return False
        code = code * size + index
        radix *= size
    code.sort()
    return not bool(np.any(code[1:] == code[:-1]))


def conform(table: Table, data: pa.Table) -> pa.Table:
    """Arrow rows in the table's exact schema: column order, and one type per column.

    `string_view` and `large_string` become `string` (likewise binary), so every file of a table has
    the same Arrow types whoever produced the rows.
    """
    for name in table.optional:  # added since the writer was written: null there
        if name not in data.column_names:
            data = data.append_column(name, pa.nulls(data.num_rows, table.schema.field(name).type))
    missing = [c for c in table.columns if c not in data.column_names]
    if missing:
        raise SchemaError(f"{table.name}: missing column(s) {', '.join(missing)}")
    try:
        return data.select(table.columns).cast(table.schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(f"{table.name}: {exc}") from None


# ------------------------------------------------------------------ writing


def commit(data: Mapping[str, pa.Table | pd.DataFrame], wait: float = WRITE_WAIT_S) -> Snapshot:
    """Upsert rows into each table on its key, then publish all versions at once.

    DataFrames are validated; Arrow tables are conformed to the table's schema. Inside `rebuilding()`,
    the first commit replaces every table's contents instead (tables it does not name become empty).
    """
    from adops.store import locks

    arrows = {
        name: validate(TABLES[name], rows) if isinstance(rows, pd.DataFrame) else conform(TABLES[name], rows)
        for name, rows in data.items()
    }
    with locks.exclusive(locks.WAREHOUSE_WRITE, wait=wait, busy=_BUSY):
        current = snapshot()
        versions = current.pinned
        rebuild = _rebuild.get()
        changed: dict[str, date | None] = {}  # base tables written: from which day on (None: all of it)
        if rebuild is not None and not rebuild["done"]:
            for name, table in TABLES.items():
                versions[name] = _replace(table, arrows.get(name, table.schema.empty_table()))
                changed[name] = None
            rebuild["done"] = True
        else:
            for name, arrow in arrows.items():
                if arrow.num_rows:
                    versions[name] = _upsert(TABLES[name], arrow, current.versions.get(name))
                    changed[name] = _first_day(arrow) if name in current.versions else None
        _refresh_rollups(versions, changed)
        return _publish(versions)


def _first_day(data: pa.Table) -> date | None:
    """The earliest day an upsert rewrote (daily tables rewrite from it on), None for other tables."""
    if "date" not in data.column_names:
        return None
    first = pc.min(data["date"]).as_py()
    return first if isinstance(first, date) else None


def _refresh_rollups(versions: dict[str, int], changed: Mapping[str, date | None]) -> None:
    """Rewrite each stored rollup whose base table changed, in the same snapshot as the base.

    A base rewritten from a day on rewrites the rollup from that day on (a sync's lookback window:
    thousands of rows); otherwise, or when the rollup is not stored yet (a warehouse from before
    rollups were stored) or has another schema, the whole rollup is rebuilt from the base's files.
    """
    for name, (base, select) in ROLLUPS.items():
        table = ROLLUP_TABLES[name]
        stored = name in versions
        if stored and base not in changed:
            continue
        if base not in versions:
            if stored:
                versions[name] = _replace(table, table.schema.empty_table())
            continue
        since = changed.get(base) if stored else None
        if since is not None and _delta_schema(DeltaTable(_uri(table))) != table.schema:
            since = None
        where = f" WHERE date >= DATE '{since.isoformat()}'" if since else ""
        con = _duck()
        try:
            if storage.is_remote(
                _uri(table)
            ):  # DuckDB cannot open s3:// files without httpfs: delta-rs reads
                con.register("__base", _dataset(base, Snapshot({base: versions[base]})))
                source = f"(SELECT * FROM __base{where})"
            else:
                files = _files.__wrapped__(
                    _uri(TABLES[base]), versions[base], ""
                )  # the writer's own: not cached
                source = f"(SELECT * FROM ({_scan_sql(TABLES[base], *files)}){where})"
            rows = conform(table, con.sql(select.format(source=source)).to_arrow_table())
        finally:
            con.close()
        if since is None:
            versions[name] = _replace(table, rows)
        else:
            versions[name] = _write(
                table, _sorted(table, rows), mode="overwrite", predicate=f"date >= '{since.isoformat()}'"
            )


_BUSY = "another writer holds the warehouse (a sync, the demo build or maintenance); try again when it ends"
_rebuild: ContextVar[dict[str, bool] | None] = ContextVar("adops_warehouse_rebuild", default=None)


@contextmanager
def rebuilding() -> Iterator[None]:
    """Inside the block, the first `commit` replaces the warehouse's contents instead of merging.

    Readers keep the old snapshot until that commit publishes the new one: no reader ever sees an
    empty table. A block that ends without a commit empties the tables; one that raises changes nothing.
    Hold the `warehouse-write` lock around the block so nothing lands between the two.
    """
    state = {"done": False}
    reset = _rebuild.set(state)
    try:
        yield
        if not state["done"]:
            commit({})
    finally:
        _rebuild.reset(reset)


def delete_account(platform: str, account_id: str, wait: float = WRITE_WAIT_S) -> dict[str, int]:
    """Remove one account's rows from every table that has them, published as one snapshot.

    Returns the rows removed per table. Earlier snapshots keep the rows until maintenance vacuums
    their files (`compact`'s `keep_hours`).
    """
    from adops.store import locks

    if platform not in config.PLATFORMS:
        raise InputError(f"platform {platform!r}: use one of {', '.join(config.PLATFORMS)}")
    if not account_id or len(account_id) > 200 or not account_id.isprintable():
        raise InputError("account id: 1 to 200 printable characters")
    where = f"platform = {_literal(platform)} AND account_id = {_literal(account_id)}"
    removed: dict[str, int] = {}
    with locks.exclusive(locks.WAREHOUSE_WRITE, wait=wait, busy=_BUSY):
        current = snapshot()
        versions = current.pinned
        for name, table in TABLES.items():
            published = current.versions.get(name)
            if published is None or not {"platform", "account_id"} <= set(table.columns):
                continue
            dt = _open_at(table, published)
            rows = _count(dt.to_pyarrow_dataset(schema=reader_schema(_delta_schema(dt))), where)
            if rows:
                empty = _delta_schema(dt).empty_table()
                _write(table, empty, mode="overwrite", predicate=where)
                versions[name] = DeltaTable(_uri(table)).version()
            removed[name] = rows
        if versions != current.pinned:
            _refresh_rollups(versions, {n: None for n in versions if versions[n] != current.versions.get(n)})
            _publish(versions)
    return removed


def repair(wait: float = WRITE_WAIT_S) -> dict[str, Any]:
    """Make the manifest whole and every file the table's own types; safe to run at any time.

    A missing or unreadable manifest is rebuilt from the Delta logs (`manifest: rebuilt`); tables on
    disk that a readable manifest does not name are added at their latest version (`completed`).
    Tables whose files hold view-typed strings (written by an older version) or an older schema are
    rewritten whole (`rewritten`). Everything lands in one new snapshot.
    """
    from adops.store import locks

    with locks.exclusive(locks.WAREHOUSE_WRITE, wait=wait, busy=_BUSY):
        published = _read_manifest()
        versions = published.pinned if published is not None else {}
        added = {k: v for k, v in _latest_versions().items() if k not in versions}
        versions.update(added)
        rewritten = []
        before = dict(versions)
        for name, version in sorted(versions.items()):
            table = _all_tables().get(name)
            if table is None:
                continue
            dt = _open_at(table, version)
            stored = _delta_schema(dt)
            if stored != table.schema or _has_view_files(dt):
                data = dt.to_pyarrow_dataset(schema=reader_schema(stored)).to_table()
                versions[name] = _replace(table, _align(data, table.schema))
                rewritten.append(name)
        _refresh_rollups(versions, {name: None for name in rewritten if name in TABLES})
        state = "rebuilt" if published is None else "completed" if added else "ok"
        snap = _publish(versions) if state != "ok" or versions != before else published
    assert snap is not None
    return {"manifest": state, "rewritten": rewritten, "versions": snap.versions}


def compact(min_files: int = 16, keep_hours: int = 168, wait: float = WRITE_WAIT_S) -> dict[str, int]:
    """Maintenance for the one writer: merge small files where a table has many (every sync adds
    some), then delete files no version of the last `keep_hours` uses. Returns files removed per table.

    A reader pinned to a snapshot older than `keep_hours` loses its files: notebooks reconnect daily.
    """
    from adops.store import locks

    out = {}
    with locks.exclusive(locks.WAREHOUSE_WRITE, wait=wait, busy=_BUSY):
        current = snapshot()
        versions = current.pinned
        for name, published in current.pinned.items():
            if name not in _all_tables():
                continue
            dt = _open_at(_all_tables()[name], published)
            removed = 0
            if len(dt.file_uris()) >= min_files:
                removed += int(dt.optimize.compact(target_size=TARGET_FILE_BYTES).get("numFilesRemoved", 0))
                versions[name] = dt.version()
            removed += len(dt.vacuum(retention_hours=keep_hours, dry_run=False))
            out[name] = removed
        if versions != current.pinned or current.recovered:
            _publish(versions)
    return out


def _upsert(table: Table, data: pa.Table, published: int | None) -> int:
    """Upsert `data` on the table's key; rows whose compared columns are unchanged keep their values.

    Daily tables are kept clustered by date in small files, and only the days from the source's
    first date on are rewritten (the rows of other accounts in those days carried over), so a sync's
    lookback window rewrites only the few files that hold those days. Other tables are small and
    rewritten whole. A table whose stored schema is older than the code's is rewritten whole in the
    new schema (new columns empty for old rows).
    """
    uri = _uri(table)
    if not DeltaTable.is_deltatable(uri):
        return _write(table, _sorted(table, data), mode="overwrite")
    # a table the manifest does not name (a writer died before its first publish, or the manifest
    # lost it) is merged into as it stands: never overwritten
    dt = _open_at(table, published) if published is not None else DeltaTable(uri)
    stored = _delta_schema(dt)
    dataset = dt.to_pyarrow_dataset(schema=reader_schema(stored))
    evolve = "date" in table.columns and _only_added(stored, table.schema)
    if stored != table.schema and not evolve:
        rows = _combine(table, data, _align(dataset.to_table(), table.schema))
        return _write(table, _sorted(table, rows), mode="overwrite", schema_mode="overwrite")
    if "date" not in table.columns:
        return _write(table, _combine(table, data, dataset), mode="overwrite")
    first: date = pc.min(data["date"]).as_py()
    # only files whose date statistics reach the window are scanned (daily files are date-clustered)
    # read into memory first: DuckDB joins an Arrow table several times faster than it scans a dataset
    window = dt.to_pyarrow_dataset(
        schema=reader_schema(stored), file_pruning_predicate=f"date >= '{first.isoformat()}'"
    ).to_table()
    if evolve:  # columns added at the end since: the window gains them, older files stay as written
        window = _align(window, table.schema)
    rows = _sorted(table, _combine(table, data, window, since=first))
    options = {"schema_mode": "merge"} if evolve else {}
    return _write(table, rows, mode="overwrite", predicate=f"date >= '{first.isoformat()}'", **options)


def _only_added(stored: pa.Schema, schema: pa.Schema) -> bool:
    """Whether the code's schema is the stored one plus nullable columns at the end (Delta schema
    evolution adds them on the next write; the history's files keep their columns and read them as null)."""
    n = len(stored)
    return n < len(schema) and list(stored) == list(schema)[:n] and all(f.nullable for f in list(schema)[n:])


def _combine(table: Table, source: pa.Table, target: Any, since: date | None = None) -> pa.Table:
    """Source rows that are new or changed, plus the target rows (from `since` on) that the source
    leaves alone or repeats unchanged. DuckDB reads the target, whichever string kind it holds."""
    cols = ", ".join(f'"{c}"' for c in table.columns)
    on = " AND ".join(f't."{k}" = s."{k}"' for k in table.key)
    changed = " OR ".join(f't."{c}" IS DISTINCT FROM s."{c}"' for c in table.compare) or "false"
    first_key = table.key[0]
    window = f"WHERE date >= DATE '{since.isoformat()}'" if since else ""
    con = duckdb.connect(config=READ_ONLY_SETTINGS)
    try:
        con.register("s", source)
        con.register("target", target)
        con.execute(f"CREATE TEMP TABLE t AS SELECT {cols} FROM target {window}")
        out = con.sql(
            f"""SELECT {", ".join(f's."{c}"' for c in table.columns)} FROM s LEFT JOIN t ON {on}
                WHERE t."{first_key}" IS NULL OR {changed}
                UNION ALL
                SELECT {", ".join(f't."{c}"' for c in table.columns)} FROM t LEFT JOIN s ON {on}
                WHERE s."{first_key}" IS NULL OR NOT ({changed})"""
        ).to_arrow_table()
    finally:
        con.close()
    return conform(table, out)


def _count(dataset: Any, where: str) -> int:
    """Rows of an Arrow dataset matching a SQL condition (DuckDB scans it: either string kind)."""
    con = duckdb.connect(config=READ_ONLY_SETTINGS)
    try:
        con.register("rows", dataset)
        found = con.execute(f"SELECT count(*) FROM rows WHERE {where}").fetchone()
    finally:
        con.close()
    return int(found[0]) if found else 0


def _replace(table: Table, data: pa.Table) -> int:
    """The table holds exactly `data` in its next version (older versions stay for pinned readers)."""
    return _write(table, _sorted(table, data), mode="overwrite", schema_mode="overwrite")


def _write(table: Table, data: pa.Table, **options: Any) -> int:
    uri = _uri(table)
    if storage.is_remote(uri):
        storage.check(uri)
    elif not DeltaTable.is_deltatable(uri):
        files.private_dir(Path(uri).parent)
    try:
        write_deltalake(uri, _batched(data), target_file_size=TARGET_FILE_BYTES, **options)
    except CommitFailedError as exc:
        raise WriteConflict(
            f"{table.name}: another writer committed at the same time ({str(exc).splitlines()[0]}); "
            "processes that share a warehouse must share the operational store too, so they share its lock"
        ) from None
    return DeltaTable(uri).version()


def _batched(data: pa.Table, rows: int = WRITE_BATCH_ROWS) -> pa.RecordBatchReader:
    """The rows as a stream of batches of about `rows` rows, in order: runs of small batches (the
    day-by-day slices `_sorted` interleaves: thousands of them) are copied together one output batch
    at a time, so the writer, which pays per batch, sees few and no second copy of the table exists."""

    def batches() -> Iterator[pa.RecordBatch]:
        run: list[pa.RecordBatch] = []
        size = 0
        for batch in data.to_batches():
            if batch.num_rows >= rows:  # big enough already: passed on as it is
                if run:
                    yield pa.concat_batches(run)
                    run, size = [], 0
                yield batch
                continue
            run.append(batch)
            size += batch.num_rows
            if size >= rows:
                yield pa.concat_batches(run)
                run, size = [], 0
        if run:
            yield pa.concat_batches(run)

    return pa.RecordBatchReader.from_batches(data.schema, batches())


def _sorted(table: Table, data: pa.Table) -> pa.Table:
    """Daily rows ordered by date, so each file holds a few days (an upsert rewrites only the files
    of its window). Rows that come as runs already sorted by date (the sandbox's accounts, one run
    each) are interleaved day by day as zero-copy slices, the same order a stable sort gives without
    copying a row; anything else is sorted."""
    if "date" not in table.columns or data.num_rows < 2:
        return data
    batches = [b for b in data.to_batches() if b.num_rows]
    days = [b.column(b.schema.get_field_index("date")) for b in batches]
    if any(d.null_count for d in days):
        return data.sort_by([("date", "ascending")])
    runs = [d.cast(pa.int32()).to_numpy() for d in days]
    if not all(bool(np.all(r[1:] >= r[:-1])) for r in runs):
        return data.sort_by([("date", "ascending")])
    if len(runs) == 1:
        return data
    first, last = min(int(r[0]) for r in runs), max(int(r[-1]) for r in runs)
    edges = np.arange(first, last + 2)
    cuts = [np.searchsorted(r, edges) for r in runs]
    pieces = [
        batch.slice(int(cut[i]), int(cut[i + 1] - cut[i]))
        for i in range(len(edges) - 1)
        for batch, cut in zip(batches, cuts, strict=True)
        if cut[i + 1] > cut[i]
    ]
    return pa.Table.from_batches(pieces, schema=data.schema)


def _align(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows read from a table's files, in the code's schema for it (columns added since are null)."""
    columns = [
        data[f.name].cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _open_at(table: Table, published: int) -> DeltaTable:
    """The table at its published version: a version a dead writer added after it is undone first."""
    dt = DeltaTable(_uri(table))
    if dt.version() != published:
        dt.restore(published)
        dt = DeltaTable(_uri(table))
    return dt


def _delta_schema(dt: DeltaTable) -> pa.Schema:
    return pa.schema(dt.schema().to_arrow())


def _has_view_files(dt: DeltaTable) -> bool:
    views = (pa.string_view(), pa.binary_view())
    return any(
        field.type in views
        for fragment in dt.to_pyarrow_dataset().get_fragments()
        for field in fragment.physical_schema
    )


def _uri(table: Table | str) -> str:
    """A table's location: a folder under the warehouse root, or a prefix in its bucket."""
    root_uri = config.load().warehouse_uri
    if storage.is_remote(root_uri):
        storage.reachable(root_uri)  # once per process: a missing bucket is a setting to fix
    return storage.join(root_uri, table if isinstance(table, str) else table.name)


def _all_tables() -> dict[str, Table]:
    """The base tables and the stored rollups: every Delta table a snapshot may pin."""
    return {**TABLES, **ROLLUP_TABLES}


def _duck() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for the project's own work (no user SQL), within the memory limit."""
    con = duckdb.connect(config={"memory_limit": config.load().warehouse_memory_limit})
    _no_progress_bar(con)
    return con


def _no_progress_bar(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar on a CLI's stderr or in a log. In a Jupyter kernel without ipywidgets DuckDB
    refuses the setting (its bar is off there already), which must not stop a notebook's query."""
    with suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")


def _literal(value: str) -> str:
    """A SQL string literal for a Delta predicate (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _publish(versions: dict[str, int]) -> Snapshot:
    """Publish every table's version (base tables and rollups) as the one new snapshot."""
    base = {k: v for k, v in versions.items() if k not in ROLLUP_TABLES}
    rollups = {k: v for k, v in versions.items() if k in ROLLUP_TABLES}
    snap = Snapshot(base, os.urandom(16).hex(), rollups)
    manifest = {"versions": snap.versions, "rollups": snap.rollups, "token": snap.token}
    uri = config.load().warehouse_uri
    if storage.is_remote(uri):
        storage.write_text(storage.join(uri, MANIFEST), json.dumps(manifest))
        return snap
    target = root() / MANIFEST
    files.private_dir(target.parent)
    files.write_private(target, json.dumps(manifest))
    return snap


# ------------------------------------------------------------------ the manifest and its recovery


def _read_manifest() -> Snapshot | None:
    """The published snapshot, or None when the manifest is missing or unreadable."""
    uri = config.load().warehouse_uri
    path = storage.join(uri, MANIFEST)
    try:
        manifest = json.loads(storage.read_text(path) if storage.is_remote(uri) else Path(path).read_text())
        versions = manifest["versions"]
        if not isinstance(versions, dict):
            raise TypeError("versions is not an object")
        pinned = {str(k): _version(v) for k, v in versions.items()}
        rollups = manifest.get("rollups") or {}
        if not isinstance(rollups, dict):
            raise TypeError("rollups is not an object")
        stored = {str(k): _version(v) for k, v in rollups.items() if k in ROLLUP_TABLES}
        return Snapshot(pinned, str(manifest.get("token", "")), stored)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("warehouse manifest %s is unreadable (%s): using the Delta logs", path, exc)
        return None


def _version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"bad table version {value!r}")
    return value


def _recover() -> Snapshot:
    """Each table's latest complete version, from its Delta log (a manifest that was lost).

    No tables: the empty snapshot. The token is derived from the versions, so caches stay valid
    while nothing changes.
    """
    versions = _latest_versions()
    if not versions:
        return Snapshot({})
    digest = hashlib.blake2b(json.dumps(versions, sort_keys=True).encode(), digest_size=8).hexdigest()
    snap = Snapshot(versions, f"recovered-{digest}")
    if snap.token not in _warned:
        _warned.add(snap.token)
        log.warning(
            "warehouse manifest missing: reading each table's latest version; run `adops warehouse repair`"
        )
    return snap


_warned: set[str] = set()


def _latest_versions() -> dict[str, int]:
    """Each table on disk at its newest loadable version."""
    versions = {}
    for name, table in TABLES.items():  # rollups are summed again: their latest may not match
        version = _latest_version(_uri(table))
        if version is not None:
            versions[name] = version
    return versions


def _latest_version(uri: str) -> int | None:
    """The newest version of a Delta table that loads (a torn last commit is skipped)."""
    if not DeltaTable.is_deltatable(uri):
        return None
    try:
        return DeltaTable(uri).version()
    except Exception as exc:  # deltalake raises several kinds for a damaged log
        log.warning("%s: latest Delta version unreadable (%s); trying earlier ones", uri, exc)
    logs = storage.names(storage.join(uri, "_delta_log"))
    stems = (n.removesuffix(".json") for n in logs if n.endswith(".json"))
    numbers = sorted((int(stem) for stem in stems if stem.isdigit()), reverse=True)
    for number in numbers:
        try:
            return DeltaTable(uri, version=number).version()
        except Exception:
            continue
    return None


# ------------------------------------------------------------------ reading


def reader_schema(schema: pa.Schema) -> pa.Schema:
    """The schema readers scan with: strings as views, which reads files written either way."""
    views = {
        pa.string(): pa.string_view(),
        pa.large_string(): pa.string_view(),
        pa.binary(): pa.binary_view(),
    }
    return pa.schema([f.with_type(views.get(f.type, f.type)) for f in schema])


def connect(snap: Snapshot | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per table, pinned to a snapshot (default: the latest).

    Cheap to open and safe to hold for hours: it reads immutable files and blocks no writer. It reads
    only the warehouse: no file, URL or extension is reachable from it and its settings are locked
    (`READ_ONLY_SETTINGS`); bring other data in with `con.register("name", frame)`. The tables are
    Arrow datasets over the snapshot's files (no path is named in it, so not even `COPY` can reach
    them); `query` reads the same files through DuckDB's own Parquet reader, which is faster.
    """
    snap = snap or snapshot()
    limit = config.load().warehouse_memory_limit
    con = duckdb.connect(config={**READ_ONLY_SETTINGS, "memory_limit": limit})
    for name in _all_tables():
        if name in TABLES or name in snap.rollups:
            con.register(f"__{name}", _dataset(name, snap))
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM __{name}")
    for name, (base, select) in ROLLUPS.items():
        if name not in snap.rollups:  # written before rollups were stored: summed on the fly
            con.execute(f"CREATE VIEW {name} AS {select.format(source=base)}")
    return con


def _dataset(name: str, snap: Snapshot) -> Any:
    schema = reader_schema(_all_tables()[name].schema)
    version = snap.pinned.get(name)
    if version is None:
        return schema.empty_table()
    dt = DeltaTable(_uri(name), version=version)
    stored = reader_schema(_delta_schema(dt))
    if stored == schema:
        return dt.to_pyarrow_dataset(schema=schema)
    # written with an older schema: columns added since read as nulls until the next write
    return ds.dataset(_align(dt.to_pyarrow_dataset(schema=stored).to_table(), schema))


@functools.lru_cache(maxsize=64)
def _files(uri: str, version: int, token: str) -> tuple[tuple[str, ...], frozenset[str], bool]:
    """A table version's data files and the columns they hold (`token`: a rebuilt warehouse's
    version numbers start again, so the snapshot's token is part of the key)."""
    dt = DeltaTable(uri, version=version)
    names = frozenset(dt.schema().to_arrow().names)  # type: ignore[attr-defined]
    return tuple(dt.file_uris()), names, _every_file_has(dt, names)


def _every_file_has(dt: DeltaTable, names: frozenset[str]) -> bool:
    """Whether every data file holds every column of the table's schema, read from the files' Delta
    statistics (a file written before a column was added has no statistics for it). Unknown (no
    statistics): False, so readers match the files' columns by name."""
    actions = pa.table(dt.get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return True
    for name in names:
        stats = f"null_count.{name}"
        if stats not in actions.column_names or actions[stats].null_count:
            return False
    return True


_DUCK_TYPES = {
    pa.date32(): "DATE",
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


def _scan_sql(table: Table, files: tuple[str, ...], stored: frozenset[str], uniform: bool = True) -> str:
    """A SELECT of the table's columns straight from its Parquet `files` (DuckDB pushes filters and
    projections into the files' row groups); columns the files lack (`stored`) read as nulls. When
    not every file holds every stored column (`uniform`: a column added by schema evolution), the
    files are matched by column name and the older files read the new column as null."""
    nulls = {f.name: f'NULL::{_DUCK_TYPES[f.type]} AS "{f.name}"' for f in table.schema}
    if not files:
        return f"SELECT {', '.join(nulls.values())} LIMIT 0"
    cols = ", ".join(f'"{name}"' if name in stored else null for name, null in nulls.items())
    by_name = "" if uniform else ", union_by_name = true"
    return f"SELECT {cols} FROM read_parquet([{', '.join(_literal(f) for f in files)}]{by_name})"


def _reader(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    """A connection for `query`: views over the snapshot's Parquet files, which are the only files it
    may open (`allowed_paths`); no other file, no extension, settings locked, within the memory limit."""
    if storage.is_remote(config.load().warehouse_uri):
        return _remote_reader(snap)
    found = {
        name: _files(_uri(table), snap.pinned[name], snap.token)
        if name in snap.pinned
        else ((), frozenset(), True)
        for name, table in _all_tables().items()
        if name in TABLES or name in snap.rollups
    }
    scans = {name: _scan_sql(_all_tables()[name], *files) for name, files in found.items()}
    paths = [path for files, *_ in found.values() for path in files]
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "memory_limit": config.load().warehouse_memory_limit,
        }
    )
    try:
        _no_progress_bar(con)
        con.execute("SET parquet_metadata_cache = true")  # data files never change: footers read once
        if paths:
            con.execute("SET allowed_paths = ?", [paths])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        for name, scan in scans.items():
            con.execute(f"CREATE VIEW {name} AS {scan}")
        for name, (base, select) in ROLLUPS.items():
            if name not in scans:  # written before rollups were stored: summed on the fly
                con.execute(f"CREATE VIEW {name} AS {select.format(source=base)}")
    except BaseException:
        con.close()
        raise
    return con


def _remote_reader(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    """`_reader` for a warehouse on object storage: DuckDB cannot open `s3://` files without its
    httpfs extension (not installed, and never fetched at run time), so delta-rs reads the snapshot
    and DuckDB holds it as tables in its memory (within the memory limit; it spills beyond), once per
    snapshot and process. Same lock-down as `_reader`: no file, no extension, settings locked."""
    limit = config.load().warehouse_memory_limit
    con = duckdb.connect(config={**READ_ONLY_SETTINGS, "memory_limit": limit})
    try:
        for name in _all_tables():
            if name in TABLES or name in snap.rollups:
                con.register("__source", _dataset(name, snap))
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM __source")
                con.unregister("__source")
        for name, (base, select) in ROLLUPS.items():
            if name not in snap.rollups:  # written before rollups were stored: summed on the fly
                con.execute(f"CREATE VIEW {name} AS {select.format(source=base)}")
    except BaseException:
        con.close()
        raise
    return con


class _Cache:
    """Per process: the reader connection of the latest snapshot, opened again when it changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[str, str, str] | None = None
        self.con: duckdb.DuckDBPyConnection | None = None


_cache = _Cache()


def query(
    sql: str,
    params: Any = None,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    cached: bool = True,
) -> pd.DataFrame:
    """Run one SELECT over the latest snapshot and return a DataFrame.

    The tables are views over the snapshot's Parquet files, read where they lie: DuckDB reads only
    the columns and row groups a query needs, and nothing is copied into memory ahead of it.
    `max_rows`: a result with more rows is refused (QueryError), not cut short. `timeout`: seconds
    before the query is interrupted (QueryError). `cached` (default): the connection (its views and
    the files' footers) is kept per process until the next snapshot; otherwise one is opened for
    this query alone.
    """
    ensure_read_only(sql)
    if max_rows is not None and max_rows < 0:
        raise InputError("max_rows must be 0 or more")
    if timeout is not None and timeout <= 0:
        raise InputError("timeout must be more than 0 seconds")
    con = _cached_connection().cursor() if cached else _reader(snapshot())
    timer = threading.Timer(timeout, con.interrupt) if timeout else None
    try:
        if timer:
            timer.start()
        if max_rows is None:  # bound once and run (a relation would bind the views twice)
            frame = con.execute(sql, params).df()
        else:
            relation = con.sql(sql, params=params) if params is not None else con.sql(sql)
            if relation is None:  # not a query after all: nothing to return
                raise ReadOnlyError("the warehouse is read-only here: only one SELECT statement is allowed")
            frame = relation.limit(max_rows + 1).df()
    except duckdb.InterruptException:
        raise QueryError(
            f"the query ran longer than {timeout:g} s and was stopped (timeout, --timeout)"
        ) from None
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0]) from None
    finally:
        if timer:
            timer.cancel()
        con.close()
    if max_rows is not None and len(frame) > max_rows:
        raise QueryError(
            f"the result has more than {max_rows:,} rows: aggregate, add a LIMIT, "
            "or raise the row limit (max_rows, --max-rows)"
        )
    return frame


def _cached_connection() -> duckdb.DuckDBPyConnection:
    snap = snapshot()
    key = (config.load().warehouse_uri, snap.id, config.load().warehouse_memory_limit)
    with _cache.lock:
        if _cache.key != key or _cache.con is None:
            _cache.con, _cache.key = _reader(snap), key
        return _cache.con


def ensure_read_only(sql: str) -> None:
    """Raise unless `sql` is exactly one SELECT statement (DuckDB's own parser decides).

    EXPLAIN (whose ANALYZE runs the statement it explains), PRAGMA, SET, CALL, COPY, ATTACH,
    INSTALL/LOAD and more than one statement are refused.
    """
    if not isinstance(sql, str):
        raise InputError("SQL must be text")
    if len(sql) > MAX_SQL_CHARS:
        raise InputError(f"SQL of {len(sql):,} characters: the limit is {MAX_SQL_CHARS:,}")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InputError(f"SQL does not parse: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise InputError("no SQL statement given")
    if len(statements) > 1:
        raise ReadOnlyError(
            f"the warehouse is read-only here: one SELECT statement at a time ({len(statements)} given)"
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise ReadOnlyError(
            f"the warehouse is read-only here: {kind.name} statements are not allowed, only one SELECT"
        )
