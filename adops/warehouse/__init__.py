"""The warehouse: Delta tables under `$ADOPS_HOME/warehouse/`, queried with DuckDB.

from adops import warehouse
warehouse.query("SELECT platform, sum(spend) FROM campaign_daily GROUP BY 1")
con = warehouse.connect()   # a DuckDB connection with one view per table, pinned to a snapshot
"""

from adops.warehouse.delta import (
    ReadOnlyError,
    SchemaError,
    Snapshot,
    commit,
    compact,
    connect,
    ensure_read_only,
    query,
    snapshot,
    validate,
)
from adops.warehouse.tables import ROLLUPS, TABLES, Table

__all__ = [
    "ROLLUPS",
    "TABLES",
    "ReadOnlyError",
    "SchemaError",
    "Snapshot",
    "Table",
    "commit",
    "compact",
    "connect",
    "ensure_read_only",
    "query",
    "snapshot",
    "validate",
]
