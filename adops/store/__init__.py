"""Operational store (SQLAlchemy): events, jobs, sync runs and state, audit log.

SQLite in the workspace by default, PostgreSQL (or any SQLAlchemy URL) via `ADOPS_DATABASE_URL`;
the schema is migrated with Alembic on first use.
"""

from adops.store import events, jobs
from adops.store.db import engine, reset, session
from adops.store.models import AuditEntry, Event, Job, SyncAccountRun, SyncRun, SyncState, WebhookReceipt

__all__ = [
    "AuditEntry",
    "Event",
    "Job",
    "SyncAccountRun",
    "SyncRun",
    "SyncState",
    "WebhookReceipt",
    "engine",
    "events",
    "jobs",
    "reset",
    "session",
]
