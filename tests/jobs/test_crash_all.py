"""`kill -9` of a real `adops serve` while a sync runs, a forecast is mid-way and webhook deliveries
wait for a retry: the restarted sidecar finishes all three, nothing lost, nothing done twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from adops import jobs, store
from adops.notify import deliveries
from tests.browser import free_port, wait_for
from tests.jobs.test_crash import duplicates, progressed, runs, serve, sidecars, stop, wait_until
from tests.notify.conftest import SECRET

pytestmark = pytest.mark.slow
__all__ = ["sidecars"]  # the fixture, imported for this module's tests

#: the receiver's first answer to each webhook-id asks for a retry this late: a wide window to kill in
RETRY_AFTER_S = 12
EVENTS = ["job.started", "job.done", "job.failed", "sync.*"]


class Receiver:
    """A local webhook endpoint: 500 (Retry-After) to the first attempt of each webhook-id, 204 after."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, int, int]] = []  # (webhook-id, event_id, status answered)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                wid = self.headers.get("webhook-id", "")
                with receiver.lock:
                    first = all(w != wid for w, _, _ in receiver.seen)
                    status = 500 if first else 204
                    receiver.seen.append((wid, int(json.loads(body)["event_id"]), status))
                self.send_response(status)
                if first:
                    self.send_header("retry-after", str(RETRY_AFTER_S))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def snapshot(self) -> list[tuple[str, int, int]]:
        with self.lock:
            return list(self.seen)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def waiting_retry(r: Receiver) -> list[str]:
    """Deliveries answered 500 once and not tried again yet (their workflow sleeps on the schedule)."""
    counts: dict[str, int] = {}
    for wid, _, _ in r.snapshot():
        counts[wid] = counts.get(wid, 0) + 1
    pending = {deliveries.webhook_id(d.id) for d in deliveries.list_deliveries(status="pending")}
    return [w for w, n in counts.items() if n == 1 and w in pending]


def begun(job_id: str) -> bool:
    """The job runs and has finished its first step ("start"), not its last."""
    names = [s.name for s in jobs.steps(job_id)]
    return "start" in names and "finish" not in names


def subscribed_events(after: int) -> dict[int, str]:
    """The events after `after` the endpoint subscribes to (earlier ones are history: never sent)."""
    return {
        e.id: e.type
        for e in store.events.after(after, 100_000)
        if any(e.type == p or (p.endswith("*") and e.type.startswith(p[:-1])) for p in EVENTS)
    }


def test_kill_9_mid_sync_forecast_and_deliveries_finishes_all_three_once(
    workspace: Path,
    tmp_path: Path,
    sidecars: list[subprocess.Popen[bytes]],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adops.ingest import build_demo

    assert build_demo(days=30, seed=7, campaigns_per_account=(3, 5)).status == "success"
    demo_runs = runs()  # the demo's own sync run
    monkeypatch.setenv("ADOPS_TEST_OUT_SECRET", SECRET)
    with (workspace / "adops.toml").open("a") as f:
        f.write(
            f"""
[[webhooks.endpoints]]
url = "{receiver.url}"
events = {json.dumps(EVENTS)}
secret = "env:ADOPS_TEST_OUT_SECRET"
[webhooks]
allow_hosts = ["127.0.0.1"]
"""
        )
    history = max((e.id for e in store.events.after(0, 100_000)), default=0)
    port = free_port()
    log = tmp_path / "sidecar.log"
    sidecars.append(serve(port, log))
    wait_for(f"http://127.0.0.1:{port}/health")
    sync_id = jobs.enqueue("sync", {"since": "2026-06-01", "trigger": "test"})
    forecast_id = jobs.enqueue("forecast.run", {})

    # all three at once: the sync has fetched, the forecast has begun, a delivery waits for its retry
    wait_until(lambda: progressed(sync_id) and begun(forecast_id) and waiting_retry(receiver), 180)
    waiting = waiting_retry(receiver)
    os.kill(sidecars[0].pid, signal.SIGKILL)
    sidecars[0].wait(10)
    timeline = [(e.id, e.type, e.data.get("job_id")) for e in store.events.after(0, 100_000)]
    assert jobs.get(sync_id).status == "running", timeline  # type: ignore[union-attr]
    assert jobs.get(forecast_id).status == "running", timeline  # type: ignore[union-attr]
    assert runs() == [*demo_runs, ("running", None)]
    before = receiver.snapshot()

    sidecars.append(serve(port, log))
    for job_id in (sync_id, forecast_id):
        done = wait_until(
            lambda job_id=job_id: (j := jobs.get(job_id)) is not None and j.status not in jobs.ACTIVE and j,
            240,
        )
        assert done.status == "done", (job_id, done.error, log.read_text()[-2000:])
    # the jobs a finished sync starts (winner decisions, curve fits) end too: their events are sent
    wait_until(lambda: all(j.status not in jobs.ACTIVE for j in jobs.recent(50)), 240)
    # every delivery the events asked for ends delivered (the retries after the restart included)
    # the last jobs' events reach the dispatcher a moment after the jobs end: wait for every one
    wait_until(
        lambda: (
            deliveries.list_deliveries(status="pending") == []
            and not waiting_retry(receiver)
            and sorted(d.event_id for d in deliveries.list_deliveries(limit=10_000))
            == sorted(subscribed_events(history))
        ),
        120,
    )
    planned = deliveries.list_deliveries(limit=10_000)
    assert {d.status for d in planned} == {"delivered"}, [(d.id, d.status) for d in planned]
    assert sorted(d.event_id for d in planned) == sorted(subscribed_events(history))  # no event lost
    seen = receiver.snapshot()
    by_id: dict[str, list[int]] = {}
    for wid, _, status in seen:
        by_id.setdefault(wid, []).append(status)
    assert set(by_id) == {deliveries.webhook_id(d.id) for d in planned}
    for wid, statuses in by_id.items():  # one refusal, then one success, and nothing after it
        assert statuses == [500, 204], (wid, statuses)
    for wid in waiting:  # the ones the kill interrupted were retried by the new sidecar
        assert [s for w, _, s in before if w == wid] == [500] and by_id[wid] == [500, 204]

    # the jobs: one recorded outcome per step, the killed sync's run closed, no duplicate rows
    assert jobs.get(sync_id).result["status"] == "success"  # type: ignore[union-attr]
    for job_id, body in ((sync_id, "sync accounts"), (forecast_id, "forecast")):
        names = [s.name for s in jobs.steps(job_id)]
        assert names.count(body) == 1 and names.count("start") == 1 and names.count("finish") == 1, names
    assert runs() == [*demo_runs, ("failed", "interrupted"), ("success", None)]
    assert [j.id for j in jobs.recent(10, kind="sync")] == [sync_id]
    # not doubled (the sync's own follow-up forecast of the page's default scope has other params)
    assert [j.id for j in jobs.recent(10, kind="forecast.run") if j.params == {}] == [forecast_id]
    done_events = [e.data["job_id"] for e in store.events.after(0, 100_000) if e.type == "job.done"]
    assert done_events.count(sync_id) == 1 and done_events.count(forecast_id) == 1, done_events
    assert duplicates("campaign_daily", "platform, account_id, campaign_id, date") == 0
    assert duplicates("ad_daily", "platform, account_id, ad_id, date") == 0
    stop(sidecars[1], log)
