"""Several workers on one PostgreSQL store: two `adops serve` processes (ADOPS_WORKER_ID a and b)
share the queues, each job runs once, the syncs queue's limit holds across them, and the jobs of a
worker killed with -9 are finished by the other (adops.jobs.peers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from adops import jobs, store
from adops.errors import ConfigError
from adops.jobs import peers, system
from adops.store.models import SyncRun
from tests.browser import free_port, wait_for

SERVE = [sys.executable, "-c", "import sys; from adops.cli import main; main(sys.argv[1:])", "serve"]
SYNCS = 16  # the benchmark (benchmarks/bench_workers.py) queues 100 and more; here CI time counts


def serve(worker: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ADOPS_WORKER_ID": worker}
    return subprocess.Popen(
        [*SERVE, "--port", str(port)], stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env
    )


@pytest.fixture
def sidecars() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(30)


def wait_until(check, timeout: float = 240.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout}s: {check}")


def executors(job_ids: list[str]) -> dict[str, str | None]:
    """Which executor (worker) last ran each job."""
    found = system.client().list_workflows(workflow_ids=job_ids, load_input=False, load_output=False)
    return {w.workflow_id: w.executor_id for w in found}


def test_worker_ids_name_the_executor_and_its_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    assert system.executor_id() == "adops-sidecar" and peers.lock_name("adops-sidecar") == "sidecar"
    monkeypatch.setenv("ADOPS_WORKER_ID", "east-2")
    assert system.executor_id() == "adops-sidecar-east-2"
    assert peers.lock_name(system.executor_id()) == "sidecar-east-2"
    assert peers.lock_name("someone-else") is None and peers.lock_name("adops-sidecar-X!") is None
    for bad in ("East", "-a", "a b", "../x", "x" * 41, "a;drop"):
        monkeypatch.setenv("ADOPS_WORKER_ID", bad)
        with pytest.raises(ConfigError, match="ADOPS_WORKER_ID"):
            system.executor_id()


@pytest.mark.slow
def test_two_workers_share_the_queues_and_recover_a_killed_one(
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sidecars: list[subprocess.Popen[bytes]],
) -> None:
    monkeypatch.setenv("ADOPS_DATABASE_URL", postgres_url)
    store.reset()
    ports = {"a": free_port(), "b": free_port()}
    logs = {w: tmp_path / f"{w}.log" for w in ports}
    for w, port in ports.items():
        sidecars.append(serve(w, port, logs[w]))
    for port in ports.values():
        wait_for(f"http://127.0.0.1:{port}/health", 120)

    # one day each, before the sandbox's history: quick syncs with no rows (so no follow-up jobs)
    first = date(2020, 1, 1)
    ids = [
        jobs.enqueue("sync", {"platforms": ["linkedin"], "since": str(d), "until": str(d), "trigger": "test"})
        for d in (first + timedelta(days=i) for i in range(SYNCS))
    ]
    assert len(set(ids)) == SYNCS

    # once each worker has finished some, kill worker a (-9) while it runs one
    def a_running() -> str | None:
        mine = system.client().list_workflows(
            workflow_ids=ids, executor_id="adops-sidecar-a", load_input=False, load_output=False
        )
        if sum(w.status == "SUCCESS" for w in mine) < 3:
            return None
        return next((w.workflow_id for w in mine if w.status == "PENDING"), None)

    victim = wait_until(a_running, every=0.02)
    os.kill(sidecars[0].pid, signal.SIGKILL)
    sidecars[0].wait(30)
    by_a = {i for i, e in executors(ids).items() if e == "adops-sidecar-a"} - {victim}

    def all_done() -> bool:
        return all((j := jobs.get(i)) is not None and j.status not in jobs.ACTIVE for i in ids)

    wait_until(all_done, 300, 0.5)
    for i in ids:
        job = jobs.get(i)
        assert job is not None and job.status == "done", (i, job and job.error, logs["b"].read_text()[-2000:])
        assert [s.name for s in jobs.steps(i)].count("sync accounts") == 1  # each ran (was recorded) once
    ran = executors(ids)
    assert ran[victim] == "adops-sidecar-b"  # the killed worker's job, finished by the other
    assert len(by_a) >= 3 and all(ran[i] == "adops-sidecar-a" for i in by_a)  # a's finished work stands
    assert sum(e == "adops-sidecar-b" for e in ran.values()) >= 2  # both took jobs from the queue
    recovered = [e for e in store.events.after(0, 100_000) if e.type == "jobs.recovered"]
    assert [(e.data["from_executor"], e.data["by_executor"]) for e in recovered] == [
        ("adops-sidecar-a", "adops-sidecar-b")
    ]
    assert victim in recovered[0].data["job_ids"]

    with store.session() as s:
        runs = list(s.query(SyncRun).order_by(SyncRun.started_at))
    assert sum(r.status == "success" for r in runs) == SYNCS  # one successful run per job
    assert [r.error for r in runs if r.status != "success"] in ([], ["interrupted"])
    # the syncs queue runs one at a time across both workers: no two runs overlap
    closed = [r for r in runs if r.status == "success"]  # (an interrupted row is closed by the next run)
    for before, after in zip(closed, closed[1:], strict=False):
        assert before.finished_at <= after.started_at  # type: ignore[operator]
    sidecars[1].send_signal(signal.SIGTERM)
    assert sidecars[1].wait(90) in (0, -signal.SIGTERM)
    assert "Traceback" not in logs["b"].read_text()


@pytest.mark.slow
def test_a_big_sync_is_read_on_both_workers_and_survives_one_killed(
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sidecars: list[subprocess.Popen[bytes]],
) -> None:
    """One sync of the 14 sandbox accounts in parts of 2 (adops.ingest.parts): the parts run on both
    workers; the worker not running the sync job is killed with -9 while it reads a part, the other
    reads that part again, and the sync commits every account once."""
    from adops import warehouse
    from adops.store.models import SyncAccountRun

    monkeypatch.setenv("ADOPS_DATABASE_URL", postgres_url)
    monkeypatch.setenv("ADOPS_SYNC_PART_ACCOUNTS", "2")  # the workers inherit it
    store.reset()
    ports = {"a": free_port(), "b": free_port()}
    logs = {w: tmp_path / f"{w}.log" for w in ports}
    for w, port in ports.items():
        sidecars.append(serve(w, port, logs[w]))
    for port in ports.values():
        wait_for(f"http://127.0.0.1:{port}/health", 120)

    job_id = jobs.enqueue("sync", {"since": "2026-11-21", "until": "2026-11-24", "trigger": "test"})

    def other_reading() -> tuple[str, str] | None:
        """(the worker not running the sync job, the part it reads), once it has read one and reads another."""
        (parent,) = system.client().list_workflows(workflow_ids=[job_id], load_input=False, load_output=False)
        if parent.executor_id not in ("adops-sidecar-a", "adops-sidecar-b"):
            return None
        other = "adops-sidecar-b" if parent.executor_id == "adops-sidecar-a" else "adops-sidecar-a"
        parts = system.client().list_workflows(
            name=["sync.part"], executor_id=other, load_input=False, load_output=False
        )
        if not any(p.status == "SUCCESS" for p in parts):  # it has read one part already
            return None
        return next(((other, p.workflow_id) for p in parts if p.status == "PENDING"), None)

    victim, part = wait_until(other_reading, every=0.02)
    os.kill(sidecars[0 if victim.endswith("-a") else 1].pid, signal.SIGKILL)

    def done() -> jobs.Job | None:
        job = jobs.get(job_id)
        return job if job is not None and job.status not in jobs.ACTIVE else None

    job = wait_until(done, 300, 0.5)
    assert job.status == "done" and job.result["status"] == "success", job.error
    survivor = "adops-sidecar-a" if victim.endswith("-b") else "adops-sidecar-b"
    assert executors([part])[part] == survivor  # the killed worker's part, read again by the other
    parts = system.client().list_workflows(name=["sync.part"], load_input=False, load_output=False)
    assert len(parts) == 7 and all(p.status == "SUCCESS" for p in parts)
    assert {p.executor_id for p in parts} == {"adops-sidecar-a", "adops-sidecar-b"}  # both read

    with store.session() as s:
        runs = list(s.query(SyncRun))
        accounts = [(a.platform, a.account_id, a.rows) for a in s.query(SyncAccountRun)]
    assert [r.status for r in runs] == ["success"]  # one run, committed once
    assert len(accounts) == 14 == len({(p, a) for p, a, _ in accounts})  # each account once
    assert sum(rows for *_, rows in accounts) == job.result["rows"]
    dup = warehouse.query(
        "select count(*) - count(distinct (platform, account_id, campaign_id, date)) as d, "
        "count(distinct account_id) as accounts from campaign_daily"
    )
    assert dup["d"].iloc[0] == 0 and dup["accounts"].iloc[0] == 14
