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

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from adops import config, files
from adops.errors import Conflict, InputError
from adops.warehouse.tables import ROLLUPS, TABLES, Table

log = logging.getLogger(__name__)

MANIFEST = "_snapshot.json"
#: small files keep a lookback upsert cheap: it rewrites only the files holding those days
TARGET_FILE_BYTES = 4 * 1024 * 1024
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
    (the manifest was missing or unreadable) has a token starting with `recovered-`.
    """

    versions: dict[str, int]
    token: str = ""

    @property
    def id(self) -> str:
        return ",".join([self.token, *(f"{k}={v}" for k, v in sorted(self.versions.items()))])

    @property
    def recovered(self) -> bool:
        return self.token.startswith("recovered-")


def root() -> Path:
    return Path(config.load().warehouse_uri)


def snapshot() -> Snapshot:
    """The last published snapshot; rebuilt from the Delta logs when the manifest is lost."""
    published = _read_manifest()
    return published if published is not None else _recover()


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


def conform(table: Table, data: pa.Table) -> pa.Table:
    """Arrow rows in the table's exact schema: column order, and one type per column.

    `string_view` and `large_string` become `string` (likewise binary), so every file of a table has
    the same Arrow types whoever produced the rows.
    """
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
        versions = dict(current.versions)
        rebuild = _rebuild.get()
        if rebuild is not None and not rebuild["done"]:
            for name, table in TABLES.items():
                versions[name] = _replace(table, arrows.get(name, table.schema.empty_table()))
            rebuild["done"] = True
        else:
            for name, arrow in arrows.items():
                if arrow.num_rows:
                    versions[name] = _upsert(TABLES[name], arrow, current.versions.get(name))
        return _publish(versions)


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
        versions = dict(current.versions)
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
        if versions != current.versions:
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
        versions = dict(published.versions) if published is not None else {}
        added = {k: v for k, v in _latest_versions().items() if k not in versions}
        versions.update(added)
        rewritten = []
        for name, version in sorted(versions.items()):
            table = TABLES.get(name)
            if table is None:
                continue
            dt = _open_at(table, version)
            stored = _delta_schema(dt)
            if stored != table.schema or _has_view_files(dt):
                data = dt.to_pyarrow_dataset(schema=reader_schema(stored)).to_table()
                versions[name] = _replace(table, _align(data, table.schema))
                rewritten.append(name)
        state = "rebuilt" if published is None else "completed" if added else "ok"
        snap = _publish(versions) if state != "ok" or rewritten else published
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
        versions = dict(current.versions)
        for name, published in current.versions.items():
            dt = _open_at(TABLES[name], published)
            removed = 0
            if len(dt.file_uris()) >= min_files:
                removed += int(dt.optimize.compact(target_size=TARGET_FILE_BYTES).get("numFilesRemoved", 0))
                versions[name] = dt.version()
            removed += len(dt.vacuum(retention_hours=keep_hours, dry_run=False))
            out[name] = removed
        if versions != current.versions or current.recovered:
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
    if stored != table.schema:
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
    rows = _sorted(table, _combine(table, data, window, since=first))
    return _write(table, rows, mode="overwrite", predicate=f"date >= '{first.isoformat()}'")


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
    if not DeltaTable.is_deltatable(uri):
        files.private_dir(Path(uri).parent)
    try:
        write_deltalake(uri, data, target_file_size=TARGET_FILE_BYTES, **options)
    except CommitFailedError as exc:
        raise WriteConflict(
            f"{table.name}: another writer committed at the same time ({str(exc).splitlines()[0]}); "
            "processes that share a warehouse must share the operational store too, so they share its lock"
        ) from None
    return DeltaTable(uri).version()


def _sorted(table: Table, data: pa.Table) -> pa.Table:
    return data.sort_by([("date", "ascending")]) if "date" in table.columns else data


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


def _uri(table: Table) -> str:
    return str(root() / table.name)


def _literal(value: str) -> str:
    """A SQL string literal for a Delta predicate (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _publish(versions: dict[str, int]) -> Snapshot:
    snap = Snapshot(versions, os.urandom(16).hex())
    target = root() / MANIFEST
    files.private_dir(target.parent)
    files.write_private(target, json.dumps({"versions": snap.versions, "token": snap.token}))
    return snap


# ------------------------------------------------------------------ the manifest and its recovery


def _read_manifest() -> Snapshot | None:
    """The published snapshot, or None when the manifest is missing or unreadable."""
    path = root() / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        versions = manifest["versions"]
        if not isinstance(versions, dict):
            raise TypeError("versions is not an object")
        pinned = {str(k): _version(v) for k, v in versions.items()}
        return Snapshot(pinned, str(manifest.get("token", "")))
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
    for name, table in TABLES.items():
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
    log_dir = Path(uri) / "_delta_log"
    numbers = sorted((int(p.stem) for p in log_dir.glob("*.json") if p.stem.isdigit()), reverse=True)
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
    (`READ_ONLY_SETTINGS`); bring other data in with `con.register("name", frame)`.
    """
    snap = snap or snapshot()
    con = duckdb.connect(config=READ_ONLY_SETTINGS)
    for name in TABLES:
        con.register(f"__{name}", _dataset(name, snap))
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM __{name}")
    for name, (base, select) in ROLLUPS.items():
        con.execute(f"CREATE VIEW {name} AS {select.format(source=base)}")
    return con


def _dataset(name: str, snap: Snapshot) -> Any:
    schema = reader_schema(TABLES[name].schema)
    version = snap.versions.get(name)
    if version is None:
        return schema.empty_table()
    dt = DeltaTable(str(root() / name), version=version)
    stored = reader_schema(_delta_schema(dt))
    if stored == schema:
        return dt.to_pyarrow_dataset(schema=schema)
    # written with an older schema: columns added since read as nulls until the next write
    return ds.dataset(_align(dt.to_pyarrow_dataset(schema=stored).to_table(), schema))


class _Cache:
    """Per process: tables loaded into DuckDB memory, rebuilt when the snapshot changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[str, str] | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.loaded: set[str] = set()


_cache = _Cache()
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def query(
    sql: str,
    params: Any = None,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    cached: bool = True,
) -> pd.DataFrame:
    """Run one SELECT over the latest snapshot and return a DataFrame.

    `max_rows`: a result with more rows is refused (QueryError), not cut short. `timeout`: seconds
    before the query is interrupted (QueryError). `cached` (default): tables the statement names are
    loaded into DuckDB memory once per snapshot, so repeated dashboard queries run at in-memory speed;
    otherwise the query reads the snapshot's files directly (better for one-off queries).
    """
    ensure_read_only(sql)
    if max_rows is not None and max_rows < 0:
        raise InputError("max_rows must be 0 or more")
    if timeout is not None and timeout <= 0:
        raise InputError("timeout must be more than 0 seconds")
    con = _cached_connection(sql).cursor() if cached else connect()
    timer = threading.Timer(timeout, con.interrupt) if timeout else None
    try:
        if timer:
            timer.start()
        relation = con.sql(sql, params=params) if params is not None else con.sql(sql)
        if relation is None:  # not a query after all: nothing to return
            raise ReadOnlyError("the warehouse is read-only here: only one SELECT statement is allowed")
        if max_rows is not None:
            relation = relation.limit(max_rows + 1)
        frame = relation.df()
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


def _cached_connection(sql: str) -> duckdb.DuckDBPyConnection:
    snap = snapshot()
    key = (str(root()), snap.id)
    wanted = {w.lower() for w in _WORDS.findall(sql)} & (set(TABLES) | set(ROLLUPS))
    with _cache.lock:
        if _cache.key != key or _cache.con is None:
            _cache.con, _cache.key, _cache.loaded = duckdb.connect(config=READ_ONLY_SETTINGS), key, set()
            for name in TABLES:  # every name resolves, even before it is loaded
                _cache.con.register(f"__{name}", reader_schema(TABLES[name].schema).empty_table())
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
