"""Start, watch and steer jobs from any process (CLI, pages, notebooks) through a `DBOSClient`.

A job is a DBOS workflow; its id is the workflow id. The statuses people see:
`queued` (ENQUEUED or DELAYED), `running` (PENDING: a step is running, or the sidecar died in one
and will recover it on its next start), `done`, `failed` and `cancelled`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adops.errors import Conflict, InputError, NotFound
from adops.jobs import kinds, schedules, system
from adops.jobs.kinds import KINDS, QueueSpec

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
STATUSES = ACTIVE + FINISHED
_FROM_DBOS = {
    "ENQUEUED": "queued",
    "DELAYED": "queued",
    "PENDING": "running",
    "SUCCESS": "done",
    "ERROR": "failed",
    "CANCELLED": "cancelled",
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": "failed",
}
_TO_DBOS = {
    mine: [theirs for theirs, m in _FROM_DBOS.items() if m == mine] for mine in set(_FROM_DBOS.values())
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+@-]{0,199}")
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Job:
    """One job as people see it."""

    id: str
    kind: str
    status: str
    params: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    progress: float = 0.0
    message: str = ""
    forked_from: str | None = None
    schedule: str | None = None

    @property
    def title(self) -> str:
        spec = KINDS.get(self.kind)
        return spec.title if spec else self.kind

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "queue": self.queue,
            "params": self.params,
            "progress": self.progress,
            "message": self.message,
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "error": self.error,
            "result": self.result,
            "forked_from": self.forked_from,
            "schedule": self.schedule,
        }


@dataclass(frozen=True)
class Step:
    """A finished step of a job (DBOS records a step when it ends)."""

    number: int
    name: str
    error: str | None
    output: Any
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def status(self) -> str:
        return "failed" if self.error else "done"

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)


@dataclass(frozen=True)
class Wait:
    """Why a queued job has not started: its queue, its place, and what runs or waits ahead of it."""

    job_id: str
    queue: QueueSpec
    position: int
    running: list[Job]
    ahead: list[Job]

    def explain(self) -> str:
        limit = f"{self.queue.concurrency} at a time" if self.queue.concurrency > 1 else "one at a time"
        parts = [f"#{self.position} in the {self.queue.name} queue ({limit})"]
        if self.running:
            parts.append("running: " + ", ".join(f"{j.title} {j.id}" for j in self.running[:3]))
        waiting = [j for j in self.ahead if j.status == "queued"]
        if waiting:
            parts.append(
                f"{len(waiting)} queued ahead: " + ", ".join(f"{j.title} {j.id}" for j in waiting[:3])
            )
        if not self.running and not waiting:
            parts.append("nothing ahead: it starts on the sidecar's next poll")
        return "; ".join(parts)


@dataclass(frozen=True)
class ScheduleState:
    """A configured schedule and what DBOS knows of it (nothing before the sidecar first starts)."""

    spec: schedules.ScheduleSpec
    status: str  # ACTIVE | PAUSED | not applied
    last_fired_at: str | None
    next_run: datetime


# ---------------------------------------------------------------------------- starting work


def enqueue(
    kind: str, params: dict[str, Any] | None = None, *, dedupe: bool = True, job_id: str | None = None
) -> str:
    """Queue a job for the sidecar and return its id.

    `job_id` fixes the id (an incoming webhook derives it from the delivery): asking again with
    the same id returns that job, never a second one.

    With `dedupe` (the default), a request for work already queued or running returns that job's
    id instead: a second "Sync now", or one while the hourly sync runs, attaches to it. A job the
    sidecar was running when it died stays `running` and keeps its de-duplication, so a request
    then attaches to the job the restarted sidecar recovers, never to a dead one.
    """
    spec = kinds.kind(kind)
    if not spec.public:
        raise InputError(f"{kind} jobs are queued by the sidecar only")
    checked = kinds.checked_params(params)
    options = kinds.options(kind, checked, _checked_id(job_id) if job_id else None, dedupe=dedupe)
    handle: Any = system.client().enqueue(options, checked)  # type: ignore[arg-type]
    job_id = str(handle.get_workflow_id())
    if job_id == options["workflow_id"]:
        _publish("job.queued", {"job_id": job_id, "kind": kind, "queue": spec.queue})
    return job_id


def run_schedule(name: str) -> str:
    """ "Run now" for a schedule: queue the job its tick would (with the same de-duplication)."""
    spec = schedules.find(str(name))
    if spec is None:
        known = ", ".join(s.name for s in schedules.specs())
        raise NotFound(f"no schedule named {str(name)[:80]!r}; the workspace has {known}")
    return enqueue(spec.kind, spec.params)


# ---------------------------------------------------------------------------- reading


def get(job_id: str) -> Job | None:
    """The job with this id, or None."""
    job_id = _checked_id(job_id)
    if not system.exists():
        return None
    found = system.client().list_workflows(workflow_ids=[job_id], load_input=True, load_output=True)
    return _job(found[0], last_message=True) if found else None


def recent(limit: int = 20, kind: str | None = None, status: str | None = None) -> list[Job]:
    """The newest jobs first (schedule ticks left out), optionally of one kind or status."""
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT:,}, not {limit}")
    names = [kinds.kind(kind).name] if kind else [k.name for k in KINDS.values() if k.public]
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown job status {str(status)[:40]!r}; one of {', '.join(STATUSES)}")
    if not system.exists():
        return []
    rows = system.client().list_workflows(
        name=names,
        status=_TO_DBOS[status] if status else None,
        limit=int(limit),
        sort_desc=True,
        load_input=True,
        load_output=True,
    )
    return sorted((_job(w) for w in rows), key=_order, reverse=True)


def steps(job_id: str) -> list[Step]:
    """The job's finished steps, in order, with their errors."""
    job_id = _checked_id(job_id)
    if not system.exists():
        return []
    rows = system.client().list_workflow_steps(job_id, load_output=True)
    return [
        Step(
            number=int(s["function_id"]),
            name=str(s["function_name"]),
            error=_error(s["error"]),
            output=s["output"],
            started_at=_time(s["started_at_epoch_ms"]),
            finished_at=_time(s["completed_at_epoch_ms"]),
        )
        for s in rows
    ]


def waiting(job_id: str) -> Wait | None:
    """Why a queued job waits (None when it is not queued)."""
    job = get(job_id)
    if job is None or job.status != "queued" or job.queue not in kinds.QUEUES:
        return None
    rows = system.client().list_queued_workflows(queue_name=job.queue, load_input=True, load_output=False)
    jobs = sorted((_job(w) for w in rows), key=_order)
    running = [j for j in jobs if j.status == "running"]
    queued = [j for j in jobs if j.status == "queued"]
    position = next((i for i, j in enumerate(queued, start=1) if j.id == job.id), len(queued) + 1)
    return Wait(job.id, kinds.QUEUES[job.queue], position, running, running + queued[: position - 1])


def schedule_states() -> list[ScheduleState]:
    """The workspace's schedules with their state in DBOS."""
    stored = {s["schedule_name"]: s for s in system.client().list_schedules()} if system.exists() else {}
    out = []
    for spec in schedules.specs():
        row = stored.get(spec.name)
        out.append(
            ScheduleState(
                spec,
                str(row["status"]) if row else "not applied",
                row["last_fired_at"] if row else None,
                spec.next_run(),
            )
        )
    return out


# ---------------------------------------------------------------------------- steering


def cancel(job_id: str) -> Job:
    """Stop a queued or running job: it runs no further step (a step already running finishes)."""
    job = _existing(job_id)
    if not job.active:
        raise Conflict(f"job {job.id} is {job.status}: only a queued or running job can be cancelled")
    system.client().cancel_workflow(job.id)
    _publish("job.cancelled", {"job_id": job.id, "kind": job.kind})
    return _existing(job.id)


def resume(job_id: str) -> Job:
    """Continue a cancelled job (or one given up after repeated crashes) from its last finished step."""
    job = _existing(job_id)
    if job.status != "cancelled" and not (job.status == "failed" and _gave_up(job.id)):
        hint = "; retry it from a step instead" if job.status in FINISHED else ""
        raise Conflict(f"job {job.id} is {job.status}: only a cancelled job can be resumed{hint}")
    queue = KINDS[job.kind].queue if job.kind in KINDS else None
    system.client().resume_workflow(job.id, queue_name=queue)
    _publish("job.resumed", {"job_id": job.id, "kind": job.kind})
    return _existing(job.id)


def retry(job_id: str, from_step: int | None = None) -> str:
    """Run a finished job again as a new job, from step `from_step` (default: its failed step, else
    after its last): the steps before are not run again, their results are copied. Returns the id."""
    from dbos import SetWorkflowID

    job = _existing(job_id)
    if job.active:
        raise Conflict(f"job {job.id} is {job.status}: wait for it to end, or cancel it, before a retry")
    if job.kind not in KINDS or not KINDS[job.kind].public:
        raise Conflict(f"{job.kind} jobs cannot be retried; run the schedule again instead")
    done = steps(job.id)
    last = max((s.number for s in done), default=0)
    if from_step is None:
        failed = [s.number for s in done if s.error]
        from_step = failed[0] if failed else 1
    if not 1 <= int(from_step) <= last + 1:
        raise InputError(f"job {job.id} has steps 1 to {last}: retry from one of them (or {last + 1})")
    new_id = kinds.new_id(job.kind)
    with SetWorkflowID(new_id):
        handle = system.client().fork_workflow(
            job.id,
            int(from_step),
            application_version=system.APPLICATION_VERSION,
            queue_name=KINDS[job.kind].queue,
        )
    _publish(
        "job.retried",
        {"job_id": handle.get_workflow_id(), "kind": job.kind, "from": job.id, "step": from_step},
    )
    return str(handle.get_workflow_id())


def prune(days: int = schedules.RETENTION_DAYS, batch: int = 1000) -> int:
    """Delete finished jobs created more than `days` ago, with their steps and events; returns how many."""
    if not 0 <= int(days) <= 36_500:
        raise InputError(f"days must be between 0 and 36,500, not {days}")
    cutoff = (datetime.now(UTC) - timedelta(days=int(days))).isoformat()
    if not system.exists():
        return 0
    client = system.client()
    deleted = 0
    while True:
        old = client.list_workflows(
            status=[s for s, mine in _FROM_DBOS.items() if mine in FINISHED],
            end_time=cutoff,
            limit=batch,
            load_input=False,
            load_output=False,
        )
        if not old:
            return deleted
        client.delete_workflows([w.workflow_id for w in old])
        deleted += len(old)


# ---------------------------------------------------------------------------- internals


def _order(job: Job) -> tuple[datetime, str]:
    """Oldest first, as the queue takes them (creation second, then the id's millisecond)."""
    return job.created_at or datetime.min.replace(tzinfo=UTC), kinds.id_time(job.id)


def _existing(job_id: str) -> Job:
    job = get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r} in this workspace (adops jobs lists them)")
    return job


def _gave_up(job_id: str) -> bool:
    found = system.client().list_workflows(workflow_ids=[job_id], load_input=False, load_output=False)
    return bool(found) and found[0].status == "MAX_RECOVERY_ATTEMPTS_EXCEEDED"


def _checked_id(job_id: str) -> str:
    text = str(job_id)
    if not _ID.fullmatch(text):
        raise InputError(f"not a job id: {text[:60]!r} (letters, digits and . _ : + @ -, at most 200)")
    return text


def _job(w: Any, last_message: bool = False) -> Job:
    """A DBOS workflow status as a Job; the progress event is read for running jobs (and, with
    `last_message`, for finished ones: what the job last said)."""
    status = _FROM_DBOS.get(str(w.status), str(w.status).lower())
    params: dict[str, Any] = {}
    args = (w.input or {}).get("args") if isinstance(w.input, dict) else None
    if w.name == "schedule.tick" and args and len(args) > 1 and isinstance(args[1], dict):
        params = dict(args[1])
    elif args and isinstance(args[0], dict):
        params = dict(args[0])
    fraction, message = _progress(w.workflow_id) if status == "running" or last_message else (0.0, "")
    if status in FINISHED:
        fraction = 1.0
    spec = KINDS.get(str(w.name))
    return Job(
        id=str(w.workflow_id),
        kind=str(w.name),
        status=status,
        params=params,
        queue=w.queue_name or (spec.queue if spec else None),
        created_at=_time(w.created_at),
        started_at=_time(w.dequeued_at),
        finished_at=_time(w.completed_at),
        result=w.output if isinstance(w.output, dict) else None,
        error=_error(w.error),
        progress=fraction,
        message=message,
        forked_from=w.forked_from,
        schedule=w.schedule_name,
    )


def _progress(job_id: str) -> tuple[float, str]:
    value = system.client().get_event(job_id, "progress", timeout_seconds=0)
    if not isinstance(value, dict):
        return 0.0, ""
    return float(value.get("fraction", 0.0)), str(value.get("message", ""))


def _error(err: Any) -> str | None:
    """A stored error as `Type: message` (portable JSON keeps the class name and message)."""
    if err is None:
        return None
    name = getattr(err, "name", None) or type(err).__name__
    message = getattr(err, "message", None) or str(err)
    text = str(message)
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _publish(type: str, data: dict[str, Any]) -> None:
    from adops.store import events

    events.publish(type, data)
