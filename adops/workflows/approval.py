"""When a run may skip a person's approval, and the one decision each run gets.

By default every run that would change a platform waits for a named person. `[workflows.NAME]`
in adops.toml may let small moves through:

    [workflows.budget-optimization]
    auto_approve_max_change = 0.2     # budgets and bids moving by at most 20% ...
    auto_approve_max_changes = 20     # ... in a run of at most 20 changes
    approval_timeout_hours = 72       # a run nobody approves is cancelled after this long

Only budget and bid changes qualify (a pause, an enable or a creation always waits), and the
automatic approval is recorded like a person's, naming the setting that allowed it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from adops import config
from adops.errors import Conflict
from adops.store.db import session
from adops.workflows import records
from adops.workflows.models import WorkflowApproval

NUMERIC_FIELDS = ("daily_budget", "bid")
DEFAULT_TIMEOUT_HOURS = 72.0


def settings_for(workflow: str) -> Any:
    """The workflow's `[workflows.NAME]` settings (the defaults when the table is absent)."""
    from adops.settings import WorkflowSettings

    found = config.load().workflows.get(workflow)
    return found if found is not None else WorkflowSettings()


def decide(run_id: str) -> dict[str, Any]:
    """Whether the run is approved automatically (and then record it), and how long a person has."""
    run = records.load(run_id)
    rules = settings_for(run.workflow)
    timeout = float(rules.approval_timeout_hours) * 3600
    changes = [records.as_change(c) for c in records.changes(run_id)]
    limit = rules.auto_approve_max_change
    why = "no auto-approval setting"
    auto = False
    if limit is not None:
        relative = [c.relative_change() if c.field in NUMERIC_FIELDS else None for c in changes]
        if len(changes) > rules.auto_approve_max_changes:
            why = f"{len(changes)} changes; auto-approval allows {rules.auto_approve_max_changes}"
        elif any(r is None for r in relative):
            why = "a change other than a budget or bid move needs a person"
        elif max(r for r in relative if r is not None) > limit + 1e-9:
            why = f"a move is larger than auto_approve_max_change = {limit:g}"
        else:
            auto = True
    if auto:
        by = f"auto-approval ([workflows.{run.workflow}] auto_approve_max_change = {limit:g})"
        if records.approval(run_id) is None:  # a step repeated after a crash finds it recorded
            record(run_id, by[:100], "setting")
        run = records.set_status(run_id, "running", approved_by=by[:100], approved_at=records.now())
        records.publish("workflow.approved", run, by=run.approved_by, source="setting")
        return {"auto": True, "by": run.approved_by, "timeout_seconds": timeout}
    return {"auto": False, "why": why, "timeout_seconds": timeout}


def record(run_id: str, by: str, source: str, decision: str = "approve", note: str = "") -> WorkflowApproval:
    """Store the one decision a run gets; a second (a replay, a double click) is a Conflict."""
    try:
        with session() as s:
            row = WorkflowApproval(
                run_id=run_id, by=by, source=source, decision=decision, at=records.now(), note=note
            )
            s.add(row)
            s.flush()
            return row
    except IntegrityError:
        found = records.approval(run_id)
        what = "was approved" if found is not None and found.decision == "approve" else "was decided"
        who = f" by {found.by} at {found.at:%Y-%m-%d %H:%M} UTC" if found is not None else ""
        raise Conflict(f"run {run_id} {what} already{who}") from None
