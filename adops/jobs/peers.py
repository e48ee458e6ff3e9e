"""Several workers on one PostgreSQL store: who is alive, and recovering the jobs of one that died.

Each `adops serve` is a DBOS executor with its own id (`adops-sidecar`, or `adops-sidecar-<id>` with
`ADOPS_WORKER_ID=<id>`) and holds the workspace lock named after it (`sidecar`, `sidecar-<id>`) for
as long as it runs. On PostgreSQL that lock is a session advisory lock, which the server releases the
moment the holder's connection dies (`kill -9`, a lost machine). DBOS itself recovers only its own
executor's jobs when it launches; a worker that never comes back would leave its running jobs
`PENDING` forever. So every worker watches its peers: every few seconds it lists the executors
with `PENDING` jobs of this application version, and for each other one tries its lock without
waiting. A lock it gets belongs to a dead worker: while holding it (a restart of that worker waits),
it hands that executor's jobs back to their queues (`DBOS._recover_pending_workflows`, which only
re-enqueues rows still `PENDING` under the dead id: two survivors recovering at once cannot double
a job), and any live worker dequeues them under the queues' global concurrency.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from adops.jobs import system

log = logging.getLogger("adops.jobs")
#: how often a worker looks for dead peers (seconds)
WATCH_INTERVAL_S = 2.0
PREFIX = system.EXECUTOR_ID  # "adops-sidecar"


def lock_name(executor: str) -> str | None:
    """The workspace lock a live executor holds (None for ids not made by `executor_id`)."""
    if executor == PREFIX:
        return "sidecar"
    rest = executor.removeprefix(PREFIX + "-")
    return f"sidecar-{rest}" if rest != executor and system.WORKER_ID.fullmatch(rest) else None


def recover_once(me: str) -> dict[str, int]:
    """One look: hand the jobs of every dead peer back to their queues. Returns {executor: jobs}."""
    from dbos import DBOS

    from adops.store import locks

    pending = DBOS.list_workflows(
        status="PENDING", app_version=system.APPLICATION_VERSION, load_input=False, load_output=False
    )
    executors = {w.executor_id for w in pending if w.executor_id}
    recovered: dict[str, int] = {}
    for executor in sorted(executors - {me}):
        name = lock_name(executor)
        if name is None:  # not a worker's id (a test's, another application's): not ours to judge
            continue
        try:
            with locks.exclusive(name, wait=0):  # free: its holder is gone; held while re-queueing
                handles = DBOS._recover_pending_workflows([executor])
        except locks.Busy:  # alive (or back already: its own launch recovers its jobs)
            continue
        if handles:
            recovered[executor] = len(handles)
            log.warning("jobs: worker %s is gone; %d of its jobs re-queued", executor, len(handles))
            _publish(executor, [h.get_workflow_id() for h in handles])
    return recovered


def _publish(executor: str, job_ids: list[str]) -> None:
    from adops.store import events

    events.publish(
        "jobs.recovered", {"from_executor": executor, "by_executor": system.executor_id(), "job_ids": job_ids}
    )


class Watcher:
    """The thread that runs `recover_once` every `interval_s` seconds while the worker runs."""

    def __init__(self, me: str, interval_s: float = WATCH_INTERVAL_S) -> None:
        self.me = me
        self.interval_s = interval_s
        self.recovered: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="adops-peers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                for executor, n in recover_once(self.me).items():
                    self.recovered[executor] = self.recovered.get(executor, 0) + n
            except Exception:  # the store may be restarting: look again next time
                log.exception("jobs: looking for dead workers failed")

    def status(self) -> dict[str, Any]:
        return {"interval_s": self.interval_s, "recovered": dict(self.recovered)}
