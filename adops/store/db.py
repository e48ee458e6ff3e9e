"""Engine and sessions: SQLite in the workspace (WAL) by default, any SQLAlchemy URL by env."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from adops import config, files

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_migrated: set[str] = set()


def url() -> str:
    cfg = config.load()
    return cfg.database_url or f"sqlite:///{cfg.home / 'adops.sqlite'}"


def engine() -> Engine:
    """The engine for the current workspace, migrated to the latest schema on first use."""
    target = url()
    with _lock:
        if target not in _engines:
            _engines[target] = _create(target)
        eng = _engines[target]
        if target not in _migrated:
            migrate(eng)
            _migrated.add(target)
    return eng


def _create(target: str) -> Engine:
    if target.startswith("sqlite:///"):
        _private_sqlite(Path(target.removeprefix("sqlite:///")))
        eng = create_engine(target, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return eng
    return create_engine(target, pool_pre_ping=True)


def _private_sqlite(path: Path) -> None:
    """The store holds events, webhook payloads and the audit log: its files are the owner's only.

    Created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the database's mode),
    and tightened if an older version left them readable by others.
    """
    files.private_dir(path.parent, tighten=False)
    files.private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        files.tighten_mode(path.with_name(path.name + suffix))


def migrate(eng: Engine) -> None:
    """Bring the schema to Alembic's head revision."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_makers: dict[Engine, sessionmaker[Session]] = {}


@contextmanager
def session() -> Iterator[Session]:
    """A session that commits on success and rolls back on error (one factory per engine)."""
    eng = engine()
    maker = _makers.get(eng)
    if maker is None:
        maker = _makers[eng] = sessionmaker(eng, expire_on_commit=False)
    with maker() as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def reset() -> None:
    """Forget cached engines (tests switch ADOPS_HOME between workspaces)."""
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _migrated.clear()
        _makers.clear()
