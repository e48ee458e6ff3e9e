"""Runs nobody approved in time are cancelled on their own: the `workflow.expire` job.

A run waiting for approval longer than its workflow's `approval_timeout_hours` (`[workflows.NAME]`,
default 72) is cancelled by the hourly `workflow-expiry` schedule, not only when someone finally
tries to approve it. The expiry is the run's one decision (`workflow_approvals`: decision
`expired`, source `timeout`, by the setting that expired it, note "expired after N h"), the run
becomes `cancelled` with that reason, and `workflow.failed` is published with `decision:
"expired"`. A person approving at the same moment loses or wins cleanly: the store takes one
decision per run, and the other is refused.

The job's DBOS workflow is `adops.workflows.runner.expire_job` (imported by the worker only).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adops import clock
from adops.errors import Conflict
from adops.store.db import session
from adops.workflows import approval, records
from adops.workflows.models import WorkflowRun


def timeout_hours(workflow: str) -> float:
    return float(approval.settings_for(workflow).approval_timeout_hours)


def overdue(run: WorkflowRun, now: datetime | None = None) -> float | None:
    """The run's timeout in hours when it has waited longer than that; None while it may wait."""
    hours = timeout_hours(run.workflow)
    since = run.started_at or run.created_at
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    waited = ((now or clock.now()) - since).total_seconds()
    return hours if waited > hours * 3600 else None


def close(run: WorkflowRun, hours: float) -> None:
    """Record the expiry as the run's decision, cancel it and publish it; Conflict when decided already."""
    by = f"approval timeout ([workflows.{run.workflow}] approval_timeout_hours = {hours:g})"[:100]
    why = f"expired after {hours:g} h: nobody approved it within approval_timeout_hours"
    approval.record(run.id, by, "timeout", "expired", why)
    cancelled = records.set_status(run.id, "cancelled", error=why)
    records.publish("workflow.failed", cancelled, error=why, severity="info", decision="expired", by=by)


def expire_due(now: datetime | None = None) -> list[str]:
    """Cancel every run that waited for approval past its timeout; the ids it cancelled."""
    moment = now or clock.now()
    with session() as s:
        waiting = list(s.scalars(select(WorkflowRun).where(WorkflowRun.status == "awaiting_approval")))
    expired = []
    for run in waiting:
        hours = overdue(run, moment)
        if hours is None:
            continue
        try:
            close(run, hours)
        except Conflict:
            continue  # approved or rejected meanwhile: that decision stands
        expired.append(run.id)
    return expired
