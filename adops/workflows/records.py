"""Runs, steps, changes and approvals in the store: what the runner writes and everyone reads.

The run document (`to_dict`) is the INTERFACES.md shape: run_id, workflow, status, dry_run, steps
(name, status, output) and changes (platform … reason), plus who/when fields for the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select

from adops.errors import InputError, NotFound
from adops.store import events
from adops.store.db import session
from adops.store.models import Event
from adops.workflows.engine import Change
from adops.workflows.models import WorkflowApproval, WorkflowChange, WorkflowRun, WorkflowStep

STATUSES = ("running", "awaiting_approval", "succeeded", "failed", "cancelled", "undone")
FINISHED = ("succeeded", "failed", "cancelled", "undone")
MAX_LIMIT = 10_000
_STEPS = cast(Table, WorkflowStep.__table__)
_RUNS = cast(Table, WorkflowRun.__table__)
_EVENTS = cast(Table, Event.__table__)


def now() -> datetime:
    return datetime.now(UTC)


def reference(run_id: str) -> str:
    """What the audit rows of a run's changes carry in `AuditEntry.reference`."""
    return f"workflow:{run_id}"


# ---------------------------------------------------------------------------- runs


def create(
    run_id: str, workflow: str, params: dict[str, Any], dry_run: bool, by: str, preset: str | None
) -> None:
    with session() as s:
        s.add(
            WorkflowRun(
                id=run_id,
                workflow=workflow,
                params=params,
                preset=preset,
                dry_run=int(dry_run),
                status="running",
                requested_by=by,
                created_at=now(),
                notes=[],
                output={},
            )
        )


def load(run_id: str) -> WorkflowRun:
    with session() as s:
        run = s.get(WorkflowRun, str(run_id)[:120])
        if run is None:
            raise NotFound(f"no workflow run {str(run_id)[:80]!r} (adops workflow runs lists them)")
        return run


def set_status(run_id: str, status: str, **fields: Any) -> WorkflowRun:
    with session() as s:
        run = s.get(WorkflowRun, run_id)
        if run is None:
            raise NotFound(f"no workflow run {run_id!r}")
        run.status = status
        for key, value in fields.items():
            setattr(run, key, value)
        if status in FINISHED and "finished_at" not in fields:
            run.finished_at = now()
        return run


def publish(type: str, run: WorkflowRun, **data: Any) -> int:
    return events.publish(
        type,
        {
            "run_id": run.id,
            "workflow": run.workflow,
            "status": run.status,
            "dry_run": bool(run.dry_run),
            **data,
        },
    )


# ---------------------------------------------------------------------------- steps


def step_started(run_id: str, name: str) -> None:
    """The step's row, `running` (a step run again after a crash starts over on its row).

    Plain statements in one transaction (no ORM unit of work): every step of every run pays this.
    """
    at = now()
    with session() as s:
        conn = s.connection()
        again = conn.execute(
            _STEPS.update()
            .where(_STEPS.c.run_id == run_id, _STEPS.c.name == name)
            .values(status="running", started_at=at, finished_at=None, error=None)
        ).rowcount
        if not again:
            position = conn.execute(select(func.count()).where(_STEPS.c.run_id == run_id)).scalar() or 0
            conn.execute(
                _STEPS.insert().values(
                    run_id=run_id, position=int(position) + 1, name=name, status="running", started_at=at
                )
            )


def step_finished(
    run_id: str, name: str, status: str, output: dict[str, Any] | None, error: str | None = None
) -> None:
    """The step's outcome and its `workflow.step` event, in one transaction (plain statements)."""
    at = now()
    with session() as s:
        conn = s.connection()
        conn.execute(
            _STEPS.update()
            .where(_STEPS.c.run_id == run_id, _STEPS.c.name == name)
            .values(status=status, finished_at=at, output=output, error=error)
        )
        run = conn.execute(
            select(_RUNS.c.workflow, _RUNS.c.status, _RUNS.c.dry_run).where(_RUNS.c.id == run_id)
        ).first()
        if run is not None:
            data = {"run_id": run_id, "workflow": run.workflow, "status": run.status, "dry_run": bool(run.dry_run),
                    "step": name, "step_status": status, "error": error}  # fmt: skip
            conn.execute(_EVENTS.insert().values(type="workflow.step", data=data, created_at=at))


def steps(run_id: str) -> list[WorkflowStep]:
    with session() as s:
        return list(
            s.scalars(
                select(WorkflowStep).where(WorkflowStep.run_id == run_id).order_by(WorkflowStep.position)
            )
        )


# ---------------------------------------------------------------------------- changes


def save_plan(run_id: str, changes: list[Change], notes: list[str], output: dict[str, Any]) -> None:
    """Store the planned changes (replacing any a repeated plan step stored)."""
    with session() as s:
        s.execute(delete(WorkflowChange).where(WorkflowChange.run_id == run_id))
        for i, c in enumerate(changes):
            s.add(
                WorkflowChange(
                    run_id=run_id,
                    position=i,
                    key=c.key,
                    platform=c.platform,
                    account_id=c.account_id,
                    entity_type=c.entity_type,
                    entity_id=c.entity_id,
                    field=c.field,
                    before=c.before,
                    after=c.after,
                    reason=c.reason,
                    status="planned",
                )
            )
        run = s.get(WorkflowRun, run_id)
        assert run is not None
        run.notes, run.output = list(notes), dict(output)


def changes(run_id: str) -> list[WorkflowChange]:
    with session() as s:
        return list(
            s.scalars(
                select(WorkflowChange)
                .where(WorkflowChange.run_id == run_id)
                .order_by(WorkflowChange.position)
            )
        )


def change_counts(run_ids: list[str]) -> dict[str, int]:
    """How many changes each run has (one grouped query)."""
    if not run_ids:
        return {}
    with session() as s:
        rows = s.execute(
            select(WorkflowChange.run_id, func.count())
            .where(WorkflowChange.run_id.in_(run_ids))
            .group_by(WorkflowChange.run_id)
        ).all()
    return {str(r): int(n) for r, n in rows}


def as_change(row: WorkflowChange) -> Change:
    return Change(
        row.platform,
        row.account_id,
        row.entity_type,
        row.entity_id,
        row.field,
        row.before,
        row.after,
        row.reason,
        row.key,
    )


# ---------------------------------------------------------------------------- approvals


def approval(run_id: str) -> WorkflowApproval | None:
    with session() as s:
        return s.scalar(select(WorkflowApproval).where(WorkflowApproval.run_id == run_id))


# ---------------------------------------------------------------------------- reading


def to_dict(run: WorkflowRun, with_details: bool = True) -> dict[str, Any]:
    """The run as INTERFACES.md shows it (with who and when, notes and output)."""
    doc: dict[str, Any] = {
        "run_id": run.id,
        "workflow": run.workflow,
        "status": run.status,
        "dry_run": bool(run.dry_run),
        "params": run.params,
        "preset": run.preset,
        "requested_by": run.requested_by,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "approved_by": run.approved_by,
        "approved_at": _iso(run.approved_at),
        "undone_by": run.undone_by,
        "undone_at": _iso(run.undone_at),
        "error": run.error,
        "notes": run.notes or [],
        "output": run.output or {},
        "steps": [],
        "changes": [],
    }
    if with_details:
        doc["steps"] = [
            {
                "name": st.name,
                "status": st.status,
                "output": st.output,
                "error": st.error,
                "started_at": _iso(st.started_at),
                "finished_at": _iso(st.finished_at),
            }
            for st in steps(run.id)
        ]
        doc["changes"] = [
            {**as_change(c).to_dict(), "status": c.status, "replaced": c.replaced, "error": c.error}
            for c in changes(run.id)
        ]
    return doc


def listing(limit: int = 50, workflow: str | None = None, status: str | None = None) -> list[WorkflowRun]:
    """Runs newest first (an index on created_at keeps it flat however many there are)."""
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT:,}, not {limit}")
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown run status {str(status)[:40]!r}; one of {', '.join(STATUSES)}")
    q = select(WorkflowRun).order_by(WorkflowRun.created_at.desc(), WorkflowRun.id.desc()).limit(int(limit))
    if workflow:
        q = q.where(WorkflowRun.workflow == workflow)
    if status:
        q = q.where(WorkflowRun.status == status)
    with session() as s:
        return list(s.scalars(q))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()
