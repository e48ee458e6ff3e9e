"""Start, approve, undo and read workflow runs from any process (CLI, pages, recommendations).

Runs are durable jobs (`adops.jobs`): `start` records the run and queues it for the sidecar's DBOS;
`approve` records who approved and sends the waiting run a DBOS message; `undo` queues the revert.
Nothing here calls a platform. `run_here` is the CLI's way when no sidecar runs: it launches DBOS
in this process (holding the sidecar's lock, so never beside a running sidecar) until the run
rests (succeeded, failed, cancelled, undone or awaiting approval).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adops.approvers import approver, requester
from adops.errors import Conflict, InputError, NotFound
from adops.store.db import session
from adops.workflows import approval, expiry, records
from adops.workflows.engine import MAX_PARAMS_CHARS, get, registry
from adops.workflows.models import WorkflowPreset

RESTING = ("succeeded", "failed", "cancelled", "undone", "awaiting_approval")
MAX_PRESET_NAME = 100


# ---------------------------------------------------------------------------- catalogue


def catalogue() -> list[dict[str, Any]]:
    """Every registered workflow: name, description, category and params (name, type, default, required)."""
    return [wf.describe() for wf in registry().values()]


# ---------------------------------------------------------------------------- starting


def new_run_id(workflow: str) -> str:
    """`wf-bulk-20261207-101502.348-a3f9c1`: readable, sortable, unique."""
    moment = datetime.now(UTC)
    return f"wf-{workflow}-{moment:%Y%m%d-%H%M%S}.{moment.microsecond // 1000:03d}-{secrets.token_hex(3)}"


def resolve_params(
    name: str, params: dict[str, Any] | None = None, preset: str | None = None
) -> dict[str, Any]:
    """A preset's params overlaid with `params`, validated; the JSON to store."""
    wf = get(name)
    merged: dict[str, Any] = {}
    if preset is not None:
        merged.update(get_preset(name, preset)["params"])
    merged.update(params or {})
    _check_size(merged)
    return wf.parse(merged).model_dump(mode="json")


def start(
    name: str,
    params: dict[str, Any] | None = None,
    *,
    preset: str | None = None,
    dry_run: bool = False,
    by: str = "",
) -> str:
    """Record a run and queue it; returns its id (the run and its job share it).

    `by` names who asks (required, like an approver: the signed-in user where the app has sign-in,
    else a typed name; trimmed, at most 100 characters, no control characters)."""
    from adops import jobs

    checked = resolve_params(name, params, preset)
    who = requester(by)
    run_id = new_run_id(name)
    records.create(run_id, name, checked, dry_run, who, preset)
    jobs.enqueue("workflow.run", {"run_id": run_id, "workflow": name}, dedupe=False, job_id=run_id)
    return run_id


def _check_size(params: dict[str, Any]) -> None:
    try:
        text = json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"params must be plain JSON: {exc}") from None
    if len(text) > MAX_PARAMS_CHARS:
        raise InputError(f"params are {len(text):,} characters; at most {MAX_PARAMS_CHARS:,}")


# ---------------------------------------------------------------------------- approving


def approve(run_id: str, by: str, *, source: str = "cli") -> dict[str, Any]:
    """Approve a run that waits for approval: records who (required) and wakes the run."""
    return _decide(run_id, by, source, "approve")


def reject(run_id: str, by: str, *, source: str = "cli", note: str = "") -> dict[str, Any]:
    """Refuse a waiting run: it is cancelled and changes nothing."""
    return _decide(run_id, by, source, "reject", note)


def _decide(run_id: str, by: str, source: str, decision: str, note: str = "") -> dict[str, Any]:
    from adops import jobs

    name = approver(by)
    run = records.load(run_id)
    if run.status != "awaiting_approval":
        raise Conflict(f"run {run.id} is {run.status}: only a run awaiting approval can be {decision}d")
    hours = expiry.overdue(run)
    if hours is not None:  # the hourly expiry has not come round to it yet
        expiry.close(run, hours)
        raise Conflict(
            f"run {run.id} waited more than {hours:g} hours (approval_timeout_hours): it is cancelled; run it again"
        )
    if decision == "reject":
        _close(run.id, name, source, "reject", note[:500] or f"rejected by {name}")
        return show(run.id)
    apply_id = f"{run.id}.apply"
    found = records.approval(run.id)
    if found is not None and found.decision == "approve" and jobs.get(apply_id) is None:
        pass  # approved, but the process died before queueing the changes: queue them now
    else:
        approval.record(run.id, name, source, decision, note[:500])  # Conflict when decided already
    jobs.enqueue("workflow.apply", {"run_id": run.id}, dedupe=False, job_id=apply_id)  # once: a fixed id
    return show(run.id)


def _close(run_id: str, by: str, source: str, decision: str, why: str) -> None:
    """A refused run: the decision recorded, the run cancelled, nothing changed."""
    approval.record(run_id, by, source, decision, why)
    run = records.set_status(run_id, "cancelled", error=why)
    records.publish("workflow.failed", run, error=why, severity="info", decision=decision, by=by)


# ---------------------------------------------------------------------------- undo


def undo(run_id: str, by: str) -> str:
    """Queue the revert of a succeeded run's changes (newest first); returns the undo job's id."""
    from adops import jobs

    name = approver(by)
    run = records.load(run_id)
    if run.dry_run:
        raise Conflict(f"run {run.id} was a dry run: it changed nothing to undo")
    if run.status == "undone":
        raise Conflict(
            f"run {run.id} was already undone by {run.undone_by} at {run.undone_at:%Y-%m-%d %H:%M} UTC"
        )
    if run.status != "succeeded":
        raise Conflict(f"run {run.id} is {run.status}: only a succeeded run can be undone")
    if not any(c.status == "applied" for c in records.changes(run.id)):
        raise Conflict(f"run {run.id} changed nothing: there is nothing to undo")
    job_id = f"{run.id}.undo"
    existing = jobs.get(job_id)
    if existing is not None and existing.active:
        raise Conflict(f"run {run.id} is being undone already (job {job_id})")
    if existing is not None:  # an earlier undo failed part-way: a new attempt
        job_id = f"{run.id}.undo-{secrets.token_hex(3)}"
    return jobs.enqueue("workflow.undo", {"run_id": run.id, "by": name}, dedupe=False, job_id=job_id)


# ---------------------------------------------------------------------------- reading


def show(run_id: str) -> dict[str, Any]:
    """The run as INTERFACES.md shows it."""
    return records.to_dict(records.load(run_id))


def runs(
    limit: int = 50, workflow: str | None = None, status: str | None = None, details: bool = True
) -> list[dict[str, Any]]:
    """Runs newest first."""
    return [records.to_dict(r, with_details=details) for r in records.listing(limit, workflow, status)]


def wait(run_id: str, timeout: float = 120.0, until: tuple[str, ...] = RESTING) -> dict[str, Any]:
    """Poll the run until it rests (or `timeout` seconds pass); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        run = records.load(run_id)
        if run.status in until or time.monotonic() >= deadline:
            return show(run_id)
        time.sleep(0.1)


def wait_job(job_id: str, timeout: float = 120.0) -> None:
    from adops import jobs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job is not None and not job.active:
            return
        time.sleep(0.1)


# ---------------------------------------------------------------------------- presets


def save_preset(workflow: str, name: str, params: dict[str, Any], by: str = "") -> dict[str, Any]:
    """Save (or replace) a named parameter set for a workflow; the params are validated first."""
    clean = " ".join(str(name).split())
    if not clean or len(clean) > MAX_PRESET_NAME:
        raise InputError(f"a preset needs a name of 1 to {MAX_PRESET_NAME} characters")
    checked = resolve_params(workflow, params)
    with session() as s:
        row = s.scalar(
            select(WorkflowPreset).where(WorkflowPreset.workflow == workflow, WorkflowPreset.name == clean)
        )
        if row is None:
            row = WorkflowPreset(
                workflow=workflow,
                name=clean,
                params=checked,
                created_by=str(by)[:100],
                created_at=records.now(),
            )
            s.add(row)
        else:
            row.params, row.created_by, row.created_at = checked, str(by)[:100], records.now()
        try:
            s.flush()
        except IntegrityError:
            raise Conflict(
                f"preset {clean!r} of {workflow} is being saved by someone else; try again"
            ) from None
    return get_preset(workflow, clean)


def presets(workflow: str | None = None) -> list[dict[str, Any]]:
    q = select(WorkflowPreset).order_by(WorkflowPreset.workflow, WorkflowPreset.name)
    if workflow:
        get(workflow)
        q = q.where(WorkflowPreset.workflow == workflow)
    with session() as s:
        return [_preset(p) for p in s.scalars(q)]


def get_preset(workflow: str, name: str) -> dict[str, Any]:
    with session() as s:
        row = s.scalar(
            select(WorkflowPreset).where(
                WorkflowPreset.workflow == workflow, WorkflowPreset.name == " ".join(str(name).split())
            )
        )
        if row is None:
            raise NotFound(f"no preset {str(name)[:80]!r} for {workflow} (adops workflow presets lists them)")
        return _preset(row)


def delete_preset(workflow: str, name: str) -> None:
    with session() as s:
        row = s.scalar(
            select(WorkflowPreset).where(WorkflowPreset.workflow == workflow, WorkflowPreset.name == name)
        )
        if row is None:
            raise NotFound(f"no preset {str(name)[:80]!r} for {workflow}")
        s.delete(row)


def _preset(row: WorkflowPreset) -> dict[str, Any]:
    return {
        "workflow": row.workflow,
        "name": row.name,
        "params": row.params,
        "created_by": row.created_by,
        "created_at": records._iso(row.created_at),
    }


# ---------------------------------------------------------------------------- without a sidecar


def run_here(
    job_id: str, run_id: str | None = None, timeout: float = 600.0, until: tuple[str, ...] = RESTING
) -> bool:
    """Run queued workflow jobs in this process when no sidecar does; False when a sidecar runs.

    Takes the sidecar's lock (so never beside a live sidecar), launches DBOS listening only to the
    workflow queues, waits until the run rests (or the undo job ends), and stops DBOS again. A run
    left awaiting approval stays in the jobs database and continues in the next `adops serve` (or
    the next `adops workflow approve` without one).
    """
    from adops.jobs.worker import SidecarBusy, Worker

    worker = Worker(listen=["workflows", "changes"], apply_schedules=False)
    try:
        worker.start()
    except SidecarBusy:
        return False
    try:
        if run_id is not None:
            wait(run_id, timeout, until)
        else:
            wait_job(job_id, timeout)
    finally:
        worker.stop()
    return True
