"""Operational store (SQLAlchemy): events, sync runs and state, audit log (jobs: `adops.jobs`).

SQLite in the workspace by default, PostgreSQL (or any SQLAlchemy URL) via `ADOPS_DATABASE_URL`;
the schema is migrated with Alembic on first use.
"""

from adops.store import events
from adops.store.db import engine, reset, session
from adops.store.models import AuditEntry, Event, SyncAccountRun, SyncRun, SyncState, WebhookReceipt

__all__ = [
    "AuditEntry",
    "Event",
    "SyncAccountRun",
    "SyncRun",
    "SyncState",
    "WebhookReceipt",
    "engine",
    "events",
    "reset",
    "session",
]
