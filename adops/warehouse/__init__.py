"""The warehouse: Delta tables under `$ADOPS_HOME/warehouse/`, queried with DuckDB.

from adops import warehouse
warehouse.query("SELECT platform, sum(spend) FROM campaign_daily GROUP BY 1")
con = warehouse.connect()   # a DuckDB connection with one view per table, pinned to a snapshot

Reading accepts one SELECT on a connection that reaches no file; writers (`commit`,
`delete_account`, `compact`, `repair`) hold the workspace's `warehouse-write` lock.
The names below are imported on first use (`adops.lazy`): `adops warehouse --help` loads neither
DuckDB nor pandas.
"""

from typing import TYPE_CHECKING

from adops.lazy import export_lazily

if TYPE_CHECKING:
    from adops.warehouse.delta import (
        READ_ONLY_SETTINGS,
        QueryError,
        ReadOnlyError,
        SchemaError,
        Snapshot,
        WriteConflict,
        commit,
        compact,
        conform,
        connect,
        delete_account,
        ensure_read_only,
        query,
        rebuilding,
        repair,
        snapshot,
        validate,
    )
    from adops.warehouse.tables import ROLLUPS, TABLES, Table

__all__ = [
    "READ_ONLY_SETTINGS",
    "ROLLUPS",
    "TABLES",
    "QueryError",
    "ReadOnlyError",
    "SchemaError",
    "Snapshot",
    "Table",
    "WriteConflict",
    "commit",
    "compact",
    "conform",
    "connect",
    "delete_account",
    "ensure_read_only",
    "query",
    "rebuilding",
    "repair",
    "snapshot",
    "validate",
]

export_lazily(
    __name__,
    {
        "delta": [
            "READ_ONLY_SETTINGS",
            "QueryError",
            "ReadOnlyError",
            "SchemaError",
            "Snapshot",
            "WriteConflict",
            "commit",
            "compact",
            "conform",
            "connect",
            "delete_account",
            "ensure_read_only",
            "query",
            "rebuilding",
            "repair",
            "snapshot",
            "validate",
        ],
        "tables": ["ROLLUPS", "TABLES", "Table"],
    },
)
