"""Hostile endings, with real sidecar processes: `kill -9` in the middle of a sync job, "Sync now"
while the dead job is pending, and a second `adops serve` next to a live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adops import jobs, store, warehouse
from adops.store.models import SyncRun
from tests.browser import free_port, wait_for

pytestmark = pytest.mark.slow
SERVE = [sys.executable, "-c", "import sys; from adops.cli import main; main(sys.argv[1:])", "serve"]


def serve(port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [*SERVE, "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
    )


@pytest.fixture
def sidecars() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def stop(sidecar: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM: a graceful stop (uvicorn re-raises the signal once it has shut down)."""
    sidecar.send_signal(signal.SIGTERM)
    assert sidecar.wait(90) in (0, -signal.SIGTERM)  # DBOS and the hub stop in < 1 s quiet; CI may be busy
    assert "Traceback" not in log.read_text()


def wait_until(check, timeout: float = 120.0, every: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout}s: {check}")


def progressed(job_id: str) -> bool:
    """The sync step has fetched at least one account (and not yet merged: that comes at the end)."""
    return any(
        e.type == "job.progress" and e.data.get("job_id") == job_id for e in store.events.after(0, 5000)
    )


def runs() -> list[tuple[str, str | None]]:
    with store.session() as s:
        return [(r.status, r.error) for r in s.query(SyncRun).order_by(SyncRun.id)]


def duplicates(table: str, key: str) -> int:
    frame = warehouse.query(f"select count(*) - count(distinct ({key})) as d from {table}")
    return int(frame["d"].iloc[0])


def test_a_sidecar_killed_mid_sync_finishes_it_after_restart_and_sync_now_attaches(
    workspace: Path, tmp_path: Path, sidecars: list[subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    log = tmp_path / "sidecar.log"
    sidecars.append(serve(port, log))
    wait_for(f"http://127.0.0.1:{port}/health")
    job_id = jobs.enqueue("sync", {"since": "2026-06-01", "trigger": "test"})
    wait_until(lambda: progressed(job_id))
    os.kill(sidecars[0].pid, signal.SIGKILL)
    sidecars[0].wait(10)

    # dead: the job is still the workspace's running sync, and its run row is open
    assert jobs.get(job_id).status == "running"  # type: ignore[union-attr]
    assert runs() == [("running", None)]
    assert (
        warehouse.query("select count(*) as n from campaign_daily")["n"].iloc[0] == 0
    )  # nothing half-written
    # "Sync now" while the dead job is pending attaches to it: the job the next sidecar recovers
    assert jobs.enqueue("sync", {"since": "2026-06-01", "trigger": "page"}) == job_id
    assert [j.id for j in jobs.recent(10, kind="sync")] == [job_id]

    sidecars.append(serve(port, log))
    done = wait_until(lambda: (j := jobs.get(job_id)) is not None and j.status not in jobs.ACTIVE and j, 240)
    assert done.status == "done" and done.result["status"] == "success", (done.error, log.read_text()[-2000:])
    assert [s.name for s in jobs.steps(job_id)].count("sync accounts") == 1  # one recorded outcome
    assert runs() == [("failed", "interrupted"), ("success", None)]  # the killed attempt's row is closed
    assert done.result["run_id"] == 2
    assert duplicates("campaign_daily", "platform, account_id, campaign_id, date") == 0
    assert duplicates("ad_daily", "platform, account_id, ad_id, date") == 0
    days = warehouse.query("select min(date) as a, max(date) as b from campaign_daily")
    assert str(days["a"].iloc[0])[:10] <= "2026-06-01"
    assert [j.id for j in jobs.recent(10, kind="sync")] == [job_id]  # nothing doubled
    stop(sidecars[1], log)


def test_a_second_serve_never_touches_the_live_sidecars_jobs(
    workspace: Path, tmp_path: Path, sidecars: list[subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    sidecars.append(serve(port, tmp_path / "live.log"))
    wait_for(f"http://127.0.0.1:{port}/health")
    job_id = jobs.enqueue("sync", {"since": "2026-03-01", "trigger": "test"})
    wait_until(lambda: progressed(job_id))

    # the same port: refused before DBOS is launched; another port, same workspace: refused by the lock
    for other, words in ((port, "cannot listen on"), (free_port(), "another `adops serve` runs the jobs")):
        second = subprocess.run([*SERVE, "--port", str(other)], capture_output=True, text=True, timeout=120)
        assert second.returncode == 1, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], second.stderr
        # the live sidecar's job goes on (or has finished) undisturbed: one run, never interrupted
        assert jobs.get(job_id).status in ("running", "done")  # type: ignore[union-attr]
        assert runs() in ([("running", None)], [("success", None)])

    done = wait_until(lambda: (j := jobs.get(job_id)) is not None and j.status not in jobs.ACTIVE and j, 240)
    assert done.status == "done" and runs() == [("success", None)]  # never interrupted, never run twice
    assert [s.name for s in jobs.steps(job_id)].count("sync accounts") == 1
    stop(sidecars[0], tmp_path / "live.log")
