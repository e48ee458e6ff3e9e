"""Delta tables on disk, read through DuckDB, with cross-table snapshots.

Writers MERGE into each table, then publish the new table versions together in one small manifest
(`_snapshot.json`, replaced atomically). Readers pin the versions the manifest names, so a reader never
sees a half-applied sync, even across tables, and a killed writer leaves the last snapshot in force.
Data files are immutable, so readers take no locks and never block a writer.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

from adops import config
from adops.errors import InputError
from adops.warehouse.tables import ROLLUPS, TABLES, Table

MANIFEST = "_snapshot.json"
#: small files keep a lookback MERGE cheap: it rewrites only the files holding those days
TARGET_FILE_BYTES = 4 * 1024 * 1024


class SchemaError(InputError):
    """Rows do not fit the table: wrong type, missing column, null or duplicate key, negative metric."""


class ReadOnlyError(InputError):
    """A statement other than one SELECT was given to a read-only entry point."""


@dataclass(frozen=True)
class Snapshot:
    """Pinned versions of every table (absent: the table has no data yet).

    `token` is new at every publish: a warehouse rebuilt from scratch starts its versions at 0 again,
    and caches keyed by `id` must not take it for the old one.
    """

    versions: dict[str, int]
    token: str = ""

    @property
    def id(self) -> str:
        return ",".join([self.token, *(f"{k}={v}" for k, v in sorted(self.versions.items()))])


def root() -> Path:
    return Path(config.load().warehouse_uri)


def snapshot() -> Snapshot:
    """The last committed snapshot."""
    path = root() / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        return Snapshot({})
    return Snapshot({k: int(v) for k, v in manifest["versions"].items()}, str(manifest.get("token", "")))


def validate(table: Table, frame: pd.DataFrame) -> pa.Table:
    """Coerce rows to the table's schema, or raise SchemaError saying what is wrong."""
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


def commit(data: dict[str, pa.Table | pd.DataFrame]) -> Snapshot:
    """MERGE rows into each table (upsert on its key), then publish all versions at once.

    DataFrames are validated first; Arrow tables are taken as already validated.
    """
    current = snapshot()
    versions = dict(current.versions)
    for name, rows in data.items():
        table = TABLES[name]
        arrow = validate(table, rows) if isinstance(rows, pd.DataFrame) else rows
        if arrow.num_rows:
            versions[name] = _merge(table, arrow, current.versions.get(name))
    return _publish(versions)


def _merge(table: Table, data: pa.Table, published: int | None) -> int:
    """Upsert `data` on the table's key; rows whose compared columns are unchanged are not rewritten.

    Daily tables are kept clustered by date in small files, and the MERGE is told the source's first
    date, so a sync's lookback window rewrites only the few files that hold those days.
    """
    path = root() / table.name
    dated = "date" in table.columns
    if dated:
        data = data.sort_by([("date", "ascending")])
    if not DeltaTable.is_deltatable(str(path)) or published is None:
        # new, or created by a writer that died before publishing: start over
        path.mkdir(parents=True, exist_ok=True)
        write_deltalake(str(path), data, mode="overwrite", target_file_size=TARGET_FILE_BYTES)
        return DeltaTable(str(path)).version()
    dt = DeltaTable(str(path))
    if dt.version() != published:  # a writer died after merging but before publishing: undo it
        dt.restore(published)
    on = " AND ".join(f"t.{k} = s.{k}" for k in table.key)
    if dated:
        first = pc.min(data["date"]).as_py()
        on = f"t.date >= '{first.isoformat()}' AND {on}"
    changed = " OR ".join(f"(t.{c} IS DISTINCT FROM s.{c})" for c in table.compare)
    (
        dt.merge(data, predicate=on, source_alias="s", target_alias="t")
        .when_matched_update_all(predicate=changed)
        .when_not_matched_insert_all()
        .execute()
    )
    return dt.version()


def _publish(versions: dict[str, int]) -> Snapshot:
    snap = Snapshot(versions, uuid.uuid4().hex)
    target = root() / MANIFEST
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".snapshot-")
    with os.fdopen(fd, "w") as fh:
        json.dump({"versions": snap.versions, "token": snap.token}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return snap


def compact(min_files: int = 16, keep_hours: int = 168) -> dict[str, int]:
    """Maintenance for the one writer: merge small files where a table has many (every sync adds
    some), then delete files no version of the last `keep_hours` uses. Returns files removed per table.

    A reader pinned to a snapshot older than `keep_hours` loses its files: notebooks reconnect daily.
    """
    out = {}
    versions = dict(snapshot().versions)
    for name, published in snapshot().versions.items():
        dt = DeltaTable(str(root() / name))
        if dt.version() != published:  # a writer died before publishing: undo it first
            dt.restore(published)
        removed = 0
        if len(dt.file_uris()) >= min_files:
            removed += int(dt.optimize.compact(target_size=TARGET_FILE_BYTES).get("numFilesRemoved", 0))
            versions[name] = dt.version()
        removed += len(dt.vacuum(retention_hours=keep_hours, dry_run=False))
        out[name] = removed
    if versions != snapshot().versions:
        _publish(versions)
    return out


# ------------------------------------------------------------------ reading


def connect(snap: Snapshot | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per table, pinned to a snapshot (default: the latest).

    Cheap to open and safe to hold for hours: it reads immutable files and blocks no writer.
    """
    snap = snap or snapshot()
    con = duckdb.connect()
    for name in TABLES:
        con.register(f"__{name}", _dataset(name, snap))
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM __{name}")
    for name, (base, select) in ROLLUPS.items():
        con.execute(f"CREATE VIEW {name} AS {select.format(source=base)}")
    return con


def _dataset(name: str, snap: Snapshot) -> Any:
    version = snap.versions.get(name)
    if version is None:
        return TABLES[name].schema.empty_table()
    return DeltaTable(str(root() / name), version=version).to_pyarrow_dataset()


class _Cache:
    """Per process: tables loaded into DuckDB memory, rebuilt when the snapshot changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[str, str] | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.loaded: set[str] = set()


_cache = _Cache()
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def query(sql: str, params: Any = None) -> pd.DataFrame:
    """Run a read-only SQL statement over the latest snapshot and return a DataFrame.

    Tables the statement names are loaded into DuckDB memory once per snapshot, so repeated
    dashboard queries run at in-memory speed.
    """
    ensure_read_only(sql)
    con = _cached_connection(sql)
    cur = con.cursor()
    try:
        return cur.execute(sql, params).df() if params is not None else cur.execute(sql).df()
    finally:
        cur.close()


def _cached_connection(sql: str) -> duckdb.DuckDBPyConnection:
    snap = snapshot()
    key = (str(root()), snap.id)
    wanted = {w.lower() for w in _WORDS.findall(sql)} & (set(TABLES) | set(ROLLUPS))
    with _cache.lock:
        if _cache.key != key or _cache.con is None:
            _cache.con, _cache.key, _cache.loaded = duckdb.connect(), key, set()
            for name in TABLES:  # every name resolves, even before it is loaded
                _cache.con.register(f"__{name}", TABLES[name].schema.empty_table())
                _cache.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM __{name}")
            for name, (base, select) in ROLLUPS.items():
                _cache.con.execute(f"CREATE OR REPLACE VIEW {name} AS {select.format(source=base)}")
        con = _cache.con
        for name in sorted(wanted - _cache.loaded):
            base, select = ROLLUPS.get(name, (name, "SELECT * FROM {source}"))
            if base in _cache.loaded:
                source = f"__mem_{base}"
            else:
                source = f"__src_{name}"
                con.register(source, _dataset(base, snap))
            order = " ORDER BY date" if "date" in TABLES[base].columns else ""  # zone maps prune date ranges
            con.execute(f"CREATE OR REPLACE TABLE __mem_{name} AS {select.format(source=source)}{order}")
            if source.startswith("__src_"):
                con.unregister(source)
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM __mem_{name}")
            _cache.loaded.add(name)
    return con


def ensure_read_only(sql: str) -> None:
    """Raise ReadOnlyError unless every statement only reads."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InputError(f"SQL does not parse: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise InputError("no SQL statement given")
    allowed = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
    for st in statements:
        if st.type not in allowed:
            kind = st.type.name.lower()
            raise ReadOnlyError(f"the warehouse is read-only here: a {kind} statement is not allowed")
