"""Named exclusive locks for the workspace, held across processes and, on PostgreSQL, across machines.

    with locks.exclusive("warehouse-write", wait=600):
        ...  # one writer at a time, wherever it runs

Where the operational store is PostgreSQL (`ADOPS_DATABASE_URL`), a lock is a session advisory lock
(`pg_try_advisory_lock`) taken on a connection of its own: every machine that shares the store shares
the lock, and PostgreSQL releases it when the block ends or the holder's connection dies. Otherwise
(the SQLite default, one machine) it is an `flock` on `$ADOPS_HOME/locks/<name>.lock` (mode 0600),
which the kernel releases when the holder exits. `fcntl` locks alone do not hold across machines,
which is why nothing in adops takes one directly.

A block that already holds a name in the same thread passes straight through: `adops demo` holds the
writers' lock and runs a sync, which takes it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from sqlalchemy import Connection, text

from adops import config, files
from adops.errors import Conflict, InputError

WAREHOUSE_WRITE = "warehouse-write"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_POLL_S = 0.1
_held = threading.local()


class Busy(Conflict):
    """Another process (or thread) holds the lock for longer than the caller would wait."""


@contextmanager
def exclusive(name: str, wait: float = 0.0, busy: str | None = None) -> Iterator[None]:
    """Hold the workspace-wide lock `name` for the block.

    Waits up to `wait` seconds for a holder to finish, then raises `Busy` with the message `busy`
    (default: says which lock). Re-entrant in the thread that holds it.
    """
    if not _NAME.fullmatch(name):
        raise InputError(f"lock name {name!r}: use lower-case letters, digits, '.', '_' or '-'")
    held: set[str] = _held.__dict__.setdefault("names", set())
    if name in held:
        yield
        return
    message = busy or f"the workspace lock '{name}' is held by another run; try again when it ends"
    hold = _postgres if _on_postgres() else _file
    with hold(name, wait, message):
        held.add(name)
        try:
            yield
        finally:
            held.discard(name)


def held(name: str) -> bool:
    """Whether this thread holds `name` (a writer checks it before doing what needs the lock)."""
    return name in _held.__dict__.get("names", set())


def backend() -> str:
    """`postgres` or `file`: where the locks of this workspace live."""
    return "postgres" if _on_postgres() else "file"


# ---------------------------------------------------------------------------- backends


def _on_postgres() -> bool:
    from adops.store.db import url

    return url().startswith(("postgresql", "postgres:"))


@contextmanager
def _file(name: str, wait: float, message: str) -> Iterator[None]:
    folder = files.private_dir(config.home() / "locks")
    path = files.private_file(folder / f"{name}.lock")
    with open(path, "a") as fh:
        _poll(lambda: _try_flock(fh), wait, message)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _try_flock(fh: IO[str]) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def _postgres(name: str, wait: float, message: str) -> Iterator[None]:
    from adops.store.db import engine

    key = advisory_key(name)
    conn: Connection = engine().connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        _poll(lambda: _try_advisory(conn, key), wait, message)
    except BaseException:
        conn.close()
        raise
    try:
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.close()
        except Exception:  # the connection died: PostgreSQL has released the lock with it
            conn.invalidate()


def _try_advisory(conn: Connection, key: int) -> bool:
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())


def advisory_key(name: str) -> int:
    """The signed 64-bit key of `name` in PostgreSQL's advisory lock space (stable across machines)."""
    digest = hashlib.blake2b(f"adops:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _poll(attempt: Callable[[], bool], wait: float, message: str) -> None:
    deadline = time.monotonic() + max(wait, 0.0)
    while not attempt():
        if time.monotonic() >= deadline:
            raise Busy(message)
        time.sleep(_POLL_S)
