"""The `prd.push` job as a DBOS workflow (imported by `adops.jobs.workflows`, in the sidecar only).

One step pushes the whole plan. If the sidecar dies mid-push, the recovered step pushes again: the
items already in Asana are found by their keys (or adopted by name), so nothing is duplicated.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from adops.integrations.prd_jobs import run_push
from adops.jobs.progress import Reporter
from adops.jobs.workflows import MAX_RECOVERY_ATTEMPTS, Result, _job, with_progress


@DBOS.workflow(name="prd.push", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def prd_push_job(params: dict[str, Any]) -> Result:
    """Push a PRD's plan (as the PRD page edited it) into Asana."""

    def body(p: dict[str, Any]) -> Result:
        def run(report: Reporter) -> Result:
            return run_push(p, lambda done, total: report(done / max(total, 1), f"{done} of {total} items"))

        return dict(with_progress("prd.push", "push to Asana", run))

    return _job("prd.push", params, body)
