"""The operational store on PostgreSQL (ADOPS_DATABASE_URL): migrations, events, jobs, a sync run.

On the session's throwaway cluster (tests/postgres.py); skipped where there are no PostgreSQL binaries
(a failure instead under ADOPS_TEST_POSTGRES=required, as in CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest

from adops import store
from tests.postgres import Server

pytestmark = [pytest.mark.slow]  # the server and `postgres_url` come from tests/postgres.py


def test_store_and_sync_on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import inspect

    from adops.connectors.sandbox import init_state
    from adops.ingest import sync

    monkeypatch.setenv("ADOPS_DATABASE_URL", postgres_url)
    store.reset()
    assert store.engine().dialect.name == "postgresql"
    assert {"events", "jobs", "sync_runs", "sync_state"} <= set(inspect(store.engine()).get_table_names())
    first, second = store.events.publish("a", {"x": 1}), store.events.publish("b", {"x": 2})
    assert [e.type for e in store.events.after(first - 1)] == ["a", "b"] and second > first
    from adops import jobs  # DBOS keeps the jobs in the same database, in its own `dbos` schema

    job = jobs.enqueue("sync", {"platforms": ["linkedin"]})
    assert jobs.enqueue("sync", {"platforms": ["linkedin"], "trigger": "page"}) == job
    assert jobs.get(job).status == "queued" and jobs.system.url() == postgres_url  # type: ignore[union-attr]
    assert "dbos" in inspect(store.engine()).get_schema_names()
    init_state(3, date(2026, 11, 24), (2, 3))
    result = sync(platforms=["linkedin"], since=date(2026, 11, 1))
    assert result.status == "success" and result.rows > 0
    assert store.engine().url.render_as_string(hide_password=True).startswith("postgresql")
    assert not (Path(os.environ["ADOPS_HOME"]) / "adops.sqlite").exists()


def test_workspace_locks_are_advisory_locks_on_postgres(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two machines sharing the store share its locks: a holder elsewhere (another process with its
    own ADOPS_HOME) makes this one wait, and a holder that dies releases the lock with its connection."""
    import signal
    import sys
    import textwrap

    from sqlalchemy import text

    from adops.store import locks

    monkeypatch.setenv("ADOPS_DATABASE_URL", postgres_url)
    store.reset()
    assert locks.backend() == "postgres"
    holder = textwrap.dedent("""
        import sys, time
        from adops.store import locks
        with locks.exclusive("warehouse-write"):
            print("held", flush=True)
            time.sleep(600)
    """)
    elsewhere = Path(tempfile.mkdtemp(prefix="adops-other-home-"))
    proc = subprocess.Popen(
        [sys.executable, "-c", holder],
        env={**os.environ, "ADOPS_HOME": str(elsewhere)},  # another machine: nothing shared but the store
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with store.engine().connect() as conn:
            held = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            ).scalar()
        assert held == 1
        with pytest.raises(locks.Busy), locks.exclusive("warehouse-write", wait=0.3):
            pass
        with locks.exclusive("tokens"):  # another name is free
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        with locks.exclusive("warehouse-write", wait=30), locks.exclusive("warehouse-write"):  # re-entrant
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(elsewhere, ignore_errors=True)
    assert not (Path(os.environ["ADOPS_HOME"]) / "locks").exists()  # no file locks on this backend


def test_jobs_in_another_database_of_the_same_server(
    postgres_url: str, postgres_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ADOPS_JOBS_DATABASE_URL: DBOS's system database elsewhere on the server, migrated on first use;
    the job is there, not in the store's database."""
    from sqlalchemy import create_engine, text

    from adops import jobs

    jobs_url = postgres_server.create(template=None)
    try:
        monkeypatch.setenv("ADOPS_DATABASE_URL", postgres_url)
        monkeypatch.setenv("ADOPS_JOBS_DATABASE_URL", jobs_url)
        store.reset()
        job = jobs.enqueue("connectors.check")
        assert jobs.system.url() == jobs_url and jobs.get(job).status == "queued"  # type: ignore[union-attr]
        count = text("SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = :j")
        with store.engine().connect() as conn:
            assert conn.execute(count, {"j": job}).scalar() == 0
        other = create_engine(jobs_url)
        try:
            with other.connect() as conn:
                assert conn.execute(count, {"j": job}).scalar() == 1
        finally:
            other.dispose()
    finally:
        jobs.system.reset()
        store.reset()
        postgres_server.drop(jobs_url)
