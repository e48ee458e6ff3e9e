"""A throwaway PostgreSQL server for the test session, and the store-facing tests run on it too.

One cluster is started per test session (the first test that needs it), in a temporary folder, as an
unprivileged user when the tests run as root (PostgreSQL refuses root), listening on a Unix socket
only. It runs without fsync: it is thrown away with the session. Every test gets the session's
shared database, which holds the store's schema (Alembic head) and DBOS's and is
emptied (TRUNCATE ... RESTART IDENTITY) before each test: ~0.1 s, where a new database from a template
takes ~1 s and migrating one several. Migration tests take an empty database of their own.

Where the server binaries are missing the PostgreSQL cases skip with a reason; `ADOPS_TEST_POSTGRES=
required` (what `.ci/run` exports) turns that skip into a failure, so CI cannot pass without them.

The store-facing test modules (`STORE_FACING`, or any test marked `stores`) run twice, once with
the default SQLite store and once with `ADOPS_DATABASE_URL` on a fresh PostgreSQL database: their
ids end in `[sqlite]` and `[postgres]`. A test that is about SQLite's files opts out with
`@pytest.mark.sqlite_only`.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: test modules that run on both stores (paths from the repository root)
STORE_FACING = (
    "tests/store/test_store.py",
    "tests/store/test_locks.py",
    "tests/store/test_migrations.py",
    "tests/jobs/test_api.py",
    "tests/ingest/test_window_and_runs.py",
    "tests/sidecar/test_webhooks.py",
    "tests/notify/test_deliveries.py",
    "tests/experiments/test_experiment_store.py",
    "tests/optimize/test_plans_cli.py",
)
TEMPLATE = "adops_template"
REQUIRED = os.environ.get("ADOPS_TEST_POSTGRES", "") == "required"


def initdb() -> str | None:
    """The `initdb` on PATH, else Debian's newest (`/usr/lib/postgresql/<v>/bin`, not on PATH)."""
    found = shutil.which("initdb")
    if found:
        return found
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _as_postgres_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as `nobody` when we are root."""
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Server:
    """A running throwaway cluster: databases are made from the migrated template and dropped."""

    root: Path
    port: int
    ctl: str
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _shared: str | None = None
    _tables: str | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://adops@/{database}?host={self.root}&port={self.port}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.root), port=self.port, user="adops", dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self, template: str | None = TEMPLATE) -> str:
        """A new database (a copy of the migrated template, or empty with template=None); its URL.
        ~1 s on a loaded 2-core machine: most tests take `clean()` instead."""
        with self._lock:
            name = f"t{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.admin(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def clean(self) -> str:
        """The session's shared test database, every row of the store and of DBOS removed and every
        id sequence restarted (~0.1 s): as good as new for the next test. Connections a previous
        test left open (holding a lock, maybe) are ended first."""
        import psycopg

        with self._lock:
            if self._shared is None:
                self._shared = self.create()
            url = self._shared
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        with psycopg.connect(host=str(self.root), port=self.port, user="adops", dbname=name) as conn:
            conn.autocommit = True
            if self._tables is None:
                rows = conn.execute(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('public', 'dbos')"
                    " AND tablename NOT IN ('alembic_version', 'dbos_migrations')"
                ).fetchall()
                self._tables = ", ".join(f'"{schema}"."{table}"' for schema, table in rows)
            # what a previous test left connected (a pool, a killed holder's lock) goes first
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            conn.execute(f"TRUNCATE {self._tables} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]
        return url

    def stop(self) -> None:
        data = self.root / "data"
        subprocess.run(
            _as_postgres_user([self.ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> Server:
    """initdb + pg_ctl start in a fresh temporary folder; the template database migrated."""
    binary = initdb()
    if binary is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    _sweep(Path(tempfile.gettempdir()), str(Path(binary).with_name("pg_ctl")))
    root = Path(tempfile.mkdtemp(prefix="adops-pg-"))  # outside pytest's root-only tmp tree
    root.chmod(0o777)
    (root / "owner.pid").write_text(str(os.getpid()))
    data = root / "data"
    port = 5432  # a Unix socket in a folder of our own: no port is taken on the machine
    subprocess.run(
        _as_postgres_user([binary, "-D", str(data), "-A", "trust", "-U", "adops", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    ctl = str(Path(binary).with_name("pg_ctl"))
    options = (
        f"-p {port} -k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
        _as_postgres_user(
            [ctl, "-D", str(data), "-w", "-t", "60", "-l", str(root / "log"), "-o", options, "start"]
        ),
        check=True,
        capture_output=True,
    )
    server = Server(root=root, port=port, ctl=ctl)
    try:
        server.admin(f"CREATE DATABASE {TEMPLATE}")
        _migrate(server.url(TEMPLATE))
    except BaseException:
        server.stop()
        raise
    return server


def _sweep(tmp: Path, ctl: str) -> None:
    """Stop and remove the clusters of earlier test sessions that were killed before they could
    (their `owner.pid` names a process that is gone); a live session's cluster is left alone."""
    for pid_file in tmp.glob("adops-pg-*/owner.pid"):
        try:
            os.kill(int(pid_file.read_text()), 0)
            continue  # its session still runs
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue
        root = pid_file.parent
        subprocess.run(
            _as_postgres_user([ctl, "-D", str(root / "data"), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def _migrate(url: str) -> None:
    """The store's schema and DBOS's in `url`, then every connection to it closed (a template must
    have none when it is copied)."""
    from sqlalchemy import create_engine

    from adops.store.db import migrate

    eng = create_engine(url)
    try:
        migrate(eng)
    finally:
        eng.dispose()
    from dbos import DBOS

    DBOS.migrate(url)


_server: dict[str, Server | BaseException] = {}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """The session's PostgreSQL server, started on first use (skipped, or failed where required,
    when it cannot be)."""
    if "s" not in _server:
        try:
            _server["s"] = start_server()
        except (FileNotFoundError, subprocess.CalledProcessError) as exc:
            _server["s"] = exc
    got = _server["s"]
    if isinstance(got, BaseException):
        reason = f"no PostgreSQL server for the tests: {got}"
        if REQUIRED:
            pytest.fail(reason + " (ADOPS_TEST_POSTGRES=required)")
        pytest.skip(reason)
    yield got


def pytest_sessionfinish(session: pytest.Session) -> None:
    got = _server.pop("s", None)
    if isinstance(got, Server):
        got.stop()


@pytest.fixture
def postgres_url(postgres_server: Server) -> Iterator[str]:
    """A database with the store's and DBOS's schemas and no rows (the session's shared one, cleaned)."""
    url = postgres_server.clean()
    yield url
    _forget(url)


@pytest.fixture
def empty_postgres_url(postgres_server: Server) -> Iterator[str]:
    """A fresh empty database (no schema at all), dropped after the test."""
    url = postgres_server.create(template=None)
    yield url
    _forget(url)
    postgres_server.drop(url)


def _forget(url: str) -> None:
    """Close what this process holds on `url` (store engines, DBOS clients) before it is dropped."""
    from adops import store
    from adops.jobs import system

    store.reset()
    system.reset()


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` (the default) or, for the PostgreSQL run of a store-facing test, a database URL."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return "sqlite"


def _is_store_facing(item_path: Path, rootdir: Path, definition: pytest.Item | None) -> bool:
    try:
        rel = item_path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return False
    marked = definition is not None and definition.get_closest_marker("stores") is not None
    return marked or rel in STORE_FACING


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stores: run on SQLite and on PostgreSQL (store-facing)")
    config.addinivalue_line("markers", "sqlite_only: a store-facing test about SQLite itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_backend" not in metafunc.fixturenames:
        return
    if not _is_store_facing(metafunc.definition.path, metafunc.config.rootpath, metafunc.definition):
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        return
    metafunc.parametrize("store_backend", ["sqlite", "postgres"], indirect=True)
