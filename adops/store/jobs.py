"""The job queue: pages and the CLI enqueue, the sidecar claims and runs (one writer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from adops.store import events
from adops.store.db import session
from adops.store.models import Job

ACTIVE = ("queued", "running")


def enqueue(kind: str, params: dict[str, Any] | None = None, dedupe: bool = True) -> int:
    """Queue a job; with `dedupe`, an identical job already queued or running is returned instead."""
    params = params or {}
    with session() as s:
        if dedupe:
            for job in s.scalars(select(Job).where(Job.kind == kind, Job.status.in_(ACTIVE))):
                if job.params == params:
                    return int(job.id)
        job = Job(kind=kind, params=params, status="queued", created_at=datetime.now(UTC))
        s.add(job)
        s.flush()
        job_id = int(job.id)
    events.publish("job.queued", {"job_id": job_id, "kind": kind})
    return job_id


def claim_next() -> Job | None:
    """Atomically take the oldest queued job and mark it running."""
    with session() as s:
        for job_id in s.scalars(select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(5)):
            taken = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="running", started_at=datetime.now(UTC))
            )
            if taken.rowcount:  # type: ignore[attr-defined]
                s.flush()
                return s.get(Job, job_id)
    return None


def progress(job_id: int, fraction: float, message: str = "") -> None:
    with session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(progress=fraction, message=message))
    events.publish("job.progress", {"job_id": job_id, "progress": round(fraction, 4), "message": message})


def finish(job_id: int, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    status = "failed" if error else "done"
    with session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=status, result=result, error=error, progress=1.0, finished_at=datetime.now(UTC))
        )
    events.publish(f"job.{status}", {"job_id": job_id, "error": error, "result": result})


def get(job_id: int) -> Job | None:
    with session() as s:
        return s.get(Job, job_id)


def recent(limit: int = 20, kind: str | None = None) -> list[Job]:
    with session() as s:
        q = select(Job).order_by(Job.id.desc()).limit(limit)
        if kind:
            q = q.where(Job.kind == kind)
        return list(s.scalars(q))


def fail_orphans() -> int:
    """Mark jobs left 'running' by a stopped sidecar as failed; returns how many."""
    with session() as s:
        done = s.execute(
            update(Job)
            .where(Job.status == "running")
            .values(status="failed", error="interrupted: the sidecar stopped", finished_at=datetime.now(UTC))
        )
        return int(done.rowcount)  # type: ignore[attr-defined]
