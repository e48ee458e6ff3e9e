"""The `workflow.scheduled` job: a `[[schedules]]` tick with `workflow` and `preset` starts that
workflow with the saved preset (a weekly `scheduled-report`, say), as the user "schedule".

A DBOS workflow imported by `adops.jobs.workflows` (in the sidecar). Its one step starts the run; a
step repeated after a crash finds the run it started already (its requester names this job) and
does not start a second one.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from adops.jobs.workflows import MAX_RECOVERY_ATTEMPTS, Result, _job, step


@DBOS.workflow(name="workflow.scheduled", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def scheduled_workflow_job(params: dict[str, Any]) -> Result:
    """Start `params["workflow"]` with `params["preset"]`; its result names the run."""

    def body(p: dict[str, Any]) -> Result:
        return {
            "run_id": step(
                "start the run", start_once, str(p["workflow"]), str(p["preset"]), str(DBOS.workflow_id)
            )
        }

    return _job("workflow.scheduled", params, body)


def start_once(workflow: str, preset: str, job_id: str) -> str:
    """The run this job started: found again when a step repeats, else started now."""
    from adops import workflows

    requester = f"schedule {job_id}"[:100]
    for run in workflows.runs(limit=50, workflow=workflow, details=False):
        if run.get("requested_by") == requester:
            return str(run["run_id"])
    return workflows.start(workflow, preset=preset, by=requester)
