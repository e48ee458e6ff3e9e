"""The sidecar's side of the jobs: launch DBOS, open the queues, apply the schedules, stop.

Only one process per workspace may run the jobs. Two guards keep a second `adops serve` away from
the live one's work: `adops.sidecar.run` binds its port before anything else (a serve that cannot
bind exits without touching DBOS), and `Worker.start` takes the workspace lock `sidecar` before
`DBOS.launch()`; a second sidecar on another port is refused there, before DBOS's startup recovery
could claim (and run a second time) the steps the live sidecar is running.
"""

from __future__ import annotations

import importlib
import logging
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from adops import config
from adops.errors import Conflict
from adops.jobs import kinds, schedules, system

log = logging.getLogger("adops.jobs")
LOCK = "sidecar"


class SidecarBusy(Conflict):
    """Another sidecar runs the jobs of this workspace."""


class Worker:
    """DBOS in the sidecar: `start()` before serving, `stop()` after.

    `listen` names the queues this process runs (default: all of them); tests pass `[]` to keep
    queued jobs waiting until they run them one by one.
    """

    def __init__(self, *, listen: list[str] | None = None, apply_schedules: bool = True) -> None:
        self.listen = listen
        self.apply_schedules = apply_schedules
        self.started_at: datetime | None = None
        self.url: str | None = None
        self._held = ExitStack()
        self.peers: Any = None  # adops.jobs.peers.Watcher on a PostgreSQL store

    def start(self) -> None:
        """Take the workspace's sidecar lock, launch DBOS (recovering interrupted jobs) and open the
        queues and schedules. Call it where no event loop runs (the sidecar uses a thread)."""
        from adops.jobs import peers
        from adops.store import locks

        try:
            self._held.enter_context(locks.exclusive(peers.lock_name(system.executor_id()) or LOCK, wait=0))
        except locks.Busy:
            raise SidecarBusy(
                "another `adops serve` runs the jobs of this workspace; stop it first, "
                "or give this one its own ADOPS_HOME"
            ) from None
        try:
            self._launch()
        except BaseException:
            self._held.close()
            raise

    def _launch(self) -> None:
        from dbos import DBOS

        from adops.jobs import workflows
        from adops.notify import deliveries, notifications  # noqa: F401  (their workflows, before launch)

        for module in kinds.workflow_modules():  # every kind's workflow, registered before launch
            importlib.import_module(module)

        self.url = system.url()
        system.migrate(self.url)
        DBOS(config=system.dbos_config(self.url))  # type: ignore[arg-type]
        if self.listen is not None:
            DBOS.listen_queues(self.listen)
        DBOS.launch()
        for q in kinds.QUEUES.values():
            DBOS.register_queue(
                q.name,
                global_concurrency=q.concurrency,
                worker_concurrency=q.worker_concurrency,
                polling_interval_sec=q.polling_interval_sec,
                on_conflict="always_update",
            )
        if self.apply_schedules:
            apply_schedules(workflows.schedule_tick)
        self.started_at = datetime.now(UTC)
        self._watch_peers()
        log.info("jobs: DBOS launched (%s, executor %s)", system.APPLICATION_VERSION, system.executor_id())

    def _watch_peers(self) -> None:
        """With a PostgreSQL store, several workers may share it: recover the jobs of one that dies."""
        from adops.jobs import peers
        from adops.store import locks

        if locks.backend() == "postgres":
            self.peers = peers.Watcher(system.executor_id())
            self.peers.start()
            self._held.callback(self.peers.stop)

    @property
    def running(self) -> bool:
        return self.started_at is not None

    def stop(self) -> None:
        """Stop DBOS (a job in the middle of a step stays `running` and is recovered on the next
        start) and release the lock."""
        from dbos import DBOS

        try:
            if self.peers is not None:  # before DBOS goes: it asks DBOS about pending jobs
                self.peers.stop()
            if self.started_at is not None:
                DBOS.destroy(workflow_completion_timeout_sec=0)
        finally:
            self.started_at = None
            self._held.close()

    def status(self) -> dict[str, Any]:
        """For /health: whether DBOS runs, its identity, and each queue's depth."""
        if self.started_at is None:
            return {"running": False}
        from dbos import DBOS

        depth = {q: {"queued": 0, "running": 0} for q in kinds.QUEUES}
        for w in DBOS.list_queued_workflows(load_input=False, load_output=False):
            if w.queue_name in depth:
                depth[w.queue_name]["running" if w.status == "PENDING" else "queued"] += 1
        return {
            "running": True,
            "since": self.started_at.isoformat(),
            "executor_id": system.executor_id(),
            "application_version": system.APPLICATION_VERSION,
            "queues": depth,
            "peers": self.peers.status() if self.peers else None,
            "schedules": [
                {"name": s.name, "cron": s.cron, "kind": s.kind, "next_run": s.next_run().isoformat()}
                for s in schedules.specs()
            ],
        }


def apply_schedules(tick: Any, cfg: config.Config | None = None) -> list[str]:
    """Make DBOS's schedules the workspace's: upsert each (with backfill) and delete any the
    configuration no longer names. Returns the names applied."""
    from dbos import DBOS

    wanted = schedules.specs(cfg)
    DBOS.apply_schedules(
        [
            {
                "schedule_name": s.name,
                "workflow_fn": tick,
                "schedule": s.cron,
                "context": s.context(),
                "automatic_backfill": True,
                "queue_name": "light",
            }
            for s in wanted
        ]
    )
    names = {s.name for s in wanted}
    for stale in DBOS.list_schedules():
        if stale["schedule_name"] not in names:
            DBOS.delete_schedule(stale["schedule_name"])
    return sorted(names)
