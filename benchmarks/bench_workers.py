"""A sync of 1,000 sandbox accounts by one and by two workers (`adops serve` processes) sharing a
throwaway PostgreSQL: wall time from the enqueue of the one sync job to its end, rows/s, how its
parts spread over the workers, and the two-worker/one-worker ratio.

The job reads its accounts in `sync.part` jobs of ADOPS_SYNC_PART_ACCOUNTS (100) accounts on any
worker and commits them once (`adops.ingest.parts`). The sandbox world has 1,000 accounts
(`accounts_scale`) of 2-4 campaigns each; the window is ADOPS_BENCH_WORKER_DAYS days (2), so one
run takes a few minutes here. Needs the PostgreSQL server binaries (as the tests do); prints why
it is skipped otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from adops import files, jobs, store
from adops.jobs import system
from adops.store.models import SyncAccountRun, SyncRun
from benchmarks._floor import load
from benchmarks._workspace import workspace

ACCOUNTS = int(os.environ.get("ADOPS_BENCH_WORKER_ACCOUNTS", "1000"))
DAYS = int(os.environ.get("ADOPS_BENCH_WORKER_DAYS", "2"))
TODAY = date(2026, 11, 24)
BASE_ACCOUNTS = 14  # the sandbox's accounts at accounts_scale 1 (3+3+2+2+2+2)
SERVE = [sys.executable, "-c", "import sys; from adops.cli import main; main(sys.argv[1:])", "serve"]


def main() -> None:
    from tests.postgres import start_server

    print(f"   ({load()})")
    try:
        server = start_server()
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"   skipped: no PostgreSQL server ({exc})")
        return
    try:
        one = run(server, ["a"])
        two = run(server, ["a", "b"])
    finally:
        server.stop()
    print(f"   two workers / one worker: {two / one:.2f}x rows/s   ({load()})")


def sandbox(accounts: int) -> None:
    """A sandbox world of exactly `accounts` accounts, 2-4 campaigns each."""
    from adops.connectors.sandbox.connector import init_state, load_world, state_path

    init_state(7, TODAY, (2, 4))
    state = json.loads(state_path().read_text())
    state["accounts_scale"] = accounts / BASE_ACCOUNTS
    files.write_private(state_path(), json.dumps(state))
    made = len(load_world().accounts)
    assert made == accounts, f"the sandbox made {made} accounts, not {accounts}"


def run(server, workers: list[str]) -> float:  # type: ignore[no-untyped-def]
    """Start the workers, queue one sync of every account, wait for it; print and return rows/s."""
    from tests.browser import free_port, wait_for

    url = server.create()
    old = os.environ.get("ADOPS_DATABASE_URL")
    os.environ["ADOPS_DATABASE_URL"] = url
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with workspace(str(TODAY)) as home:
            store.reset()
            system.reset()
            sandbox(ACCOUNTS)
            for w in workers:
                port = free_port()
                log = (Path(home) / f"{w}.log").open("ab")
                env = {**os.environ, "ADOPS_WORKER_ID": w}
                procs.append(subprocess.Popen([*SERVE, "--port", str(port)], stdout=log, stderr=log, env=env))
                wait_for(f"http://127.0.0.1:{port}/health", 120)
            since = TODAY - timedelta(days=DAYS - 1)
            t0 = time.perf_counter()
            job_id = jobs.enqueue("sync", {"since": str(since), "until": str(TODAY), "trigger": "bench"})
            while (job := jobs.get(job_id)) is None or job.status in jobs.ACTIVE:
                time.sleep(0.2)
            seconds = time.perf_counter() - t0
            result = job.result or {}
            rows = int(result.get("rows", 0))
            ran = system.client().list_workflows(name=["sync.part"], load_input=False, load_output=False)
            spread: dict[str, int] = {}
            busy: dict[str, float] = {}
            for part in ran:
                by = str(part.executor_id)
                spread[by] = spread.get(by, 0) + 1
                took = ((part.completed_at or 0) - (part.dequeued_at or part.created_at or 0)) / 1000
                busy[by] = busy.get(by, 0.0) + took
            (parent,) = system.client().list_workflows(
                workflow_ids=[job_id], load_input=False, load_output=False
            )
            last_part = max((part.completed_at or 0) for part in ran) if ran else 0
            commit = ((parent.completed_at or 0) - last_part) / 1000 if ran else float("nan")
            with store.session() as s:
                runs = [(r.status, r.rows) for r in s.query(SyncRun)]
                statuses: dict[str, int] = {}
                for (status,) in s.query(SyncAccountRun.status):
                    statuses[status] = statuses.get(status, 0) + 1
            print(
                f"   {len(workers)} worker(s): 1 sync of {ACCOUNTS:,} accounts x {DAYS} days, {rows:,} rows in "
                f"{seconds:.1f} s = {rows / seconds:,.0f} rows/s; job {job.status} ({result.get('status')}); "
                f"parts by worker {spread}, reading {', '.join(f'{k} {v:.1f} s' for k, v in busy.items())}, "
                f"last part to job end (commit, follow-ups) {commit:.1f} s; runs {runs}; accounts {statuses}   ({load()})"
            )
            return rows / seconds
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(90)
            except subprocess.TimeoutExpired:
                p.kill()
        system.reset()
        store.reset()
        if old is None:
            os.environ.pop("ADOPS_DATABASE_URL", None)
        else:
            os.environ["ADOPS_DATABASE_URL"] = old
        server.drop(url)


if __name__ == "__main__":
    main()
