"""What the Jobs page shows, as tables: work running and queued (with why it waits), the schedules,
and the finished history. The page only draws these; every change goes through `adops.jobs`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from adops.jobs import api, schedules
from adops.jobs.api import Job


@dataclass(frozen=True)
class Board:
    active: list[Job]
    finished: list[Job]
    waits: dict[str, str]
    schedules: list[api.ScheduleState]

    def active_frame(self) -> pd.DataFrame:
        """Running and queued jobs: progress, what each says, or why it waits."""
        return pd.DataFrame(
            [
                {
                    "job": j.id,
                    "what": j.title,
                    "status": j.status,
                    "progress": j.progress,
                    "now": j.message if j.status == "running" else self.waits.get(j.id, ""),
                    "queue": j.queue,
                    "queued at": _local(j.created_at),
                }
                for j in self.active
            ],
            columns=["job", "what", "status", "progress", "now", "queue", "queued at"],
        )

    def finished_frame(self) -> pd.DataFrame:
        """Finished jobs, newest first, with how long each took and its error."""
        return pd.DataFrame(
            [
                {
                    "job": j.id,
                    "what": j.title,
                    "status": j.status,
                    "finished": _local(j.finished_at),
                    "seconds": _seconds(j),
                    "error": j.error or "",
                    "retry of": j.forked_from or "",
                }
                for j in self.finished
            ],
            columns=["job", "what", "status", "finished", "seconds", "error", "retry of"],
        )

    def schedules_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "schedule": s.spec.name,
                    "what": s.spec.title,
                    "cron (UTC)": s.spec.cron,
                    "next run": _local(s.next_run),
                    "last run": _local(_parsed(s.last_fired_at)),
                    "state": str(s.status).replace("_", " ").capitalize(),
                }
                for s in self.schedules
            ],
            columns=["schedule", "what", "cron (UTC)", "next run", "last run", "state"],
        )


def board(limit: int = 100, kind: str | None = None, status: str | None = None) -> Board:
    """The jobs of the workspace for the page: active ones always, finished ones filtered."""
    active = [j for j in api.recent(200, kind=kind) if j.active]
    finished_status = status if status in api.FINISHED else None
    finished = [j for j in api.recent(limit, kind=kind, status=finished_status) if not j.active]
    waits = {}
    for job in active:
        if job.status == "queued":
            wait = api.waiting(job.id)
            waits[job.id] = wait.explain() if wait else "waiting for the sidecar"
    return Board(active, finished, waits, api.schedule_states())


def steps_frame(job_id: str) -> pd.DataFrame:
    """A job's finished steps (number, name, status, seconds, error): retry starts from one of them."""
    return pd.DataFrame(
        [
            {
                "step": s.number,
                "name": s.name,
                "status": s.status,
                "seconds": s.seconds,
                "error": s.error or "",
            }
            for s in api.steps(job_id)
        ],
        columns=["step", "name", "status", "seconds", "error"],
    )


RETENTION_NOTE = (
    f"Finished jobs are kept {schedules.RETENTION_DAYS} days; the sidecar prunes older ones daily "
    f"({schedules.RETENTION_CRON} UTC)."
)


def _local(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _parsed(stamp: str | None) -> datetime | None:
    """A stored ISO time (a schedule's last firing) as a UTC datetime; None when missing or malformed."""
    try:
        moment = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
    return None if moment is None else moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds(job: Job) -> float | None:
    start = job.started_at or job.created_at
    if start is None or job.finished_at is None:
        return None
    return round(max((job.finished_at - start).total_seconds(), 0.0), 1)
