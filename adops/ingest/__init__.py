"""Ingestion: `sync()` fills the warehouse from the connectors; `build_demo()` makes the demo workspace."""

from adops.ingest.demo import build_demo
from adops.ingest.sync import (
    AccountResult,
    SyncBusy,
    SyncResult,
    account_health,
    last_runs,
    maintain,
    plan,
    sync,
)

__all__ = [
    "AccountResult",
    "SyncBusy",
    "SyncResult",
    "account_health",
    "build_demo",
    "last_runs",
    "maintain",
    "plan",
    "sync",
]
