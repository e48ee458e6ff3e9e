"""Where DBOS keeps the jobs, and the DBOS settings every process must agree on.

DBOS has its own system database: by default a SQLite file beside the store
(`$ADOPS_HOME/adops-dbos.sqlite`, WAL mode, private), because its unqualified table names
(`notifications`, `queues`, ...) would collide with the store's; where the store is PostgreSQL
(`ADOPS_DATABASE_URL`), the same database, where DBOS keeps its tables in its own `dbos` schema;
`ADOPS_JOBS_DATABASE_URL` names another one.

Only the sidecar launches DBOS (`adops.jobs.worker`), with a fixed executor id and a pinned
application version: a second launcher would recover, and so run again, the first one's steps.
Everything else talks to the system database through a `DBOSClient` (`client()`).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adops import config, files
from adops.errors import ConfigError

if TYPE_CHECKING:
    from dbos import DBOSClient
    from sqlalchemy import Engine

APP_NAME = "adops"
#: bump when a workflow's steps change incompatibly; drain (or fork) in-flight jobs first
WORKFLOWS_VERSION = 1
APPLICATION_VERSION = f"adops-{WORKFLOWS_VERSION}"
#: the sidecar's executor id: only a process launching with it recovers the sidecar's jobs
EXECUTOR_ID = "adops-sidecar"
#: ADOPS_WORKER_ID: one of several workers sharing a PostgreSQL store (adops.jobs.peers)
WORKER_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
FILE = "adops-dbos.sqlite"
_CLIENTS_KEPT = 4

_lock = threading.Lock()
_clients: OrderedDict[str, tuple[DBOSClient, Engine | None]] = OrderedDict()
_migrated: set[str] = set()


def url() -> str:
    """The system database's URL for the current workspace (its adops.toml is checked on the way,
    like the store's: a bad setting is reported before any job is read or queued)."""
    from adops.settings import environment

    cfg = config.load()
    env = environment()
    if env.jobs_database_url:
        return env.jobs_database_url
    if cfg.database_url.startswith(("postgresql", "postgres:")):
        return cfg.database_url
    return f"sqlite:///{cfg.home / FILE}"


def worker_id() -> str:
    """`ADOPS_WORKER_ID` ("" when unset): names this worker among several sharing one store."""
    from adops.settings import environment

    value = environment().worker_id
    if value and not WORKER_ID.fullmatch(value):
        raise ConfigError(
            f"ADOPS_WORKER_ID={value[:60]!r}: use 1-40 lower-case letters, digits or '-' (not starting "
            "with '-'), a different one for each `adops serve` sharing the store"
        )
    return value


def executor_id() -> str:
    """This worker's DBOS executor id: `adops-sidecar`, or `adops-sidecar-<ADOPS_WORKER_ID>`."""
    worker = worker_id()
    return f"{EXECUTOR_ID}-{worker}" if worker else EXECUTOR_ID


def is_sqlite(target: str) -> bool:
    return target.startswith("sqlite")


def exists() -> bool:
    """Whether the workspace has a jobs database yet. A reader (a page, `adops jobs`) finds no jobs
    in one that was never made, and does not make it: drawing a page writes nothing."""
    target = url()
    if not is_sqlite(target):
        return True
    path = Path(target.removeprefix("sqlite:///"))
    return path.is_file() and path.stat().st_size > 0


def engine(target: str, pool_size: int = 5) -> Engine | None:
    """A WAL engine for a SQLite system database (DBOS's own keeps the rollback journal, 3-6x
    slower here); None for PostgreSQL, where DBOS builds its own engine."""
    if not is_sqlite(target):
        return None
    import sqlalchemy as sa
    from sqlalchemy import event

    _private(Path(target.removeprefix("sqlite:///")))
    eng = sa.create_engine(target, pool_size=pool_size, max_overflow=0, pool_timeout=30, pool_pre_ping=True)

    @event.listens_for(eng, "connect")
    def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.isolation_level = "IMMEDIATE"  # what DBOS's own SQLite engine does: no lock upgrades

    return eng


def serializer() -> Any:
    """Plain JSON in the database (inputs, outputs, events), never pickle: readable by any auditor."""
    from dbos import DBOSPortableJSONSerializer

    return DBOSPortableJSONSerializer()


def dbos_config(target: str, **extra: Any) -> dict[str, Any]:
    """The DBOS configuration the sidecar launches with."""
    cfg: dict[str, Any] = {
        "name": APP_NAME,
        "system_database_url": target,
        "application_version": APPLICATION_VERSION,
        "executor_id": executor_id(),
        "serializer": serializer(),
        "log_level": "WARNING",
        "notification_listener_polling_interval_sec": 0.2,
        "scheduler_polling_interval_sec": 10.0,
    }
    eng = engine(target, pool_size=20)
    if eng is not None:
        cfg["system_database_engine"] = eng
    cfg.update(extra)
    return cfg


def migrate(target: str) -> None:
    """Create or upgrade the system database's schema (DBOS's own migrations), once per process.

    A client never migrates by itself, so the first `adops jobs` or "Sync now" of a workspace whose
    sidecar never ran would fail without this. Taken under a workspace lock: two first users at once
    would race on a SQLite file.
    """
    if target in _migrated:
        return
    from dbos import DBOS

    from adops.store import locks

    if is_sqlite(target):
        _private(Path(target.removeprefix("sqlite:///")))
    with locks.exclusive("jobs-schema", wait=60):
        DBOS.migrate(target)
    _migrated.add(target)


def client() -> DBOSClient:
    """This process's client for the current workspace's system database (kept, thread-safe)."""
    target = url()
    with _lock:
        if target in _clients:
            _clients.move_to_end(target)
            return _clients[target][0]
        from dbos import DBOSClient

        migrate(target)
        eng = engine(target)
        made = DBOSClient(
            system_database_url=None if eng is not None else target,
            system_database_engine=eng,
            serializer=serializer(),
            application_name=APP_NAME,
            retry_connection_errors=False,
        )
        _clients[target] = (made, eng)
        while len(_clients) > _CLIENTS_KEPT:
            _close(*_clients.popitem(last=False)[1])
        return made


def reset() -> None:
    """Close every client (tests switch workspaces; a process that forks must not share them)."""
    with _lock:
        while _clients:
            _close(*_clients.popitem()[1])
        _migrated.clear()


def _close(made: DBOSClient, eng: Engine | None) -> None:
    made.destroy()
    if eng is not None:
        eng.dispose()


def _private(path: Path) -> None:
    """The system database holds job inputs and results: the owner's only, like the store."""
    files.private_dir(path.parent, tighten=False)
    files.private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        files.tighten_mode(path.with_name(path.name + suffix))
