"""Syncs over one and over two workers (`adops serve` processes) sharing a throwaway PostgreSQL:
100 queued sync jobs (one platform, one week each, with rows), wall time from the first enqueue to
the last job done, rows/s, how the jobs spread, and the two-worker/one-worker ratio.

Needs the PostgreSQL server binaries (as the tests do); prints why it is skipped otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from adops import jobs, store
from adops.jobs import system
from benchmarks._floor import load
from benchmarks._workspace import workspace

SYNCS = int(os.environ.get("ADOPS_BENCH_WORKER_SYNCS", "100"))
PLATFORMS = ("google_ads", "meta", "linkedin", "tiktok", "pinterest", "microsoft_ads")
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
    print(f"   two workers / one worker: {two / one:.2f}x rows/s")


def run(server, workers: list[str]) -> float:  # type: ignore[no-untyped-def]
    """Queue SYNCS syncs, start the workers, wait for all; print and return rows/s."""
    from tests.browser import free_port, wait_for

    url = server.create()
    old = os.environ.get("ADOPS_DATABASE_URL")
    os.environ["ADOPS_DATABASE_URL"] = url
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with workspace() as home:
            store.reset()
            system.reset()
            start = date(2026, 1, 5)
            ids = []
            for i in range(SYNCS):
                since = start + timedelta(days=7 * (i // len(PLATFORMS)))
                params = {"platforms": [PLATFORMS[i % len(PLATFORMS)]], "since": str(since)}
                ids.append(jobs.enqueue("sync", {**params, "until": str(since + timedelta(days=6))}))
            t0 = time.perf_counter()
            for w in workers:
                port = free_port()
                log = (Path(home) / f"{w}.log").open("ab")
                env = {**os.environ, "ADOPS_WORKER_ID": w}
                procs.append(subprocess.Popen([*SERVE, "--port", str(port)], stdout=log, stderr=log, env=env))
                wait_for(f"http://127.0.0.1:{port}/health", 120)
            while not all((j := jobs.get(i)) is not None and j.status not in jobs.ACTIVE for i in ids):
                time.sleep(0.2)
            seconds = time.perf_counter() - t0
            done = [jobs.get(i) for i in ids]
            rows = sum(int((j.result or {}).get("rows", 0)) for j in done if j is not None)
            ran = system.client().list_workflows(workflow_ids=ids, load_input=False, load_output=False)
            spread: dict[str, int] = {}
            for w in ran:
                spread[str(w.executor_id)] = spread.get(str(w.executor_id), 0) + 1
            failed = sum(j is None or j.status != "done" for j in done)
            print(
                f"   {len(workers)} worker(s): {SYNCS} syncs, {rows:,} rows in {seconds:.1f} s = "
                f"{rows / seconds:,.0f} rows/s, {SYNCS / seconds:.2f} jobs/s; by worker {spread}; failed {failed}"
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
