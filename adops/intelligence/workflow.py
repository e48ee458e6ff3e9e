"""The `recommendations.measure` job as a DBOS workflow (imported by `adops.jobs.workflows`).

Run daily by the `recommendation-outcomes` schedule: measures every applied recommendation whose
follow-up window has passed. Safe to repeat: an application is measured once (its status moves to
`measured` in the same transaction as its outcome row).
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from adops.jobs.workflows import MAX_RECOVERY_ATTEMPTS, Result, _job, step


def _measure() -> Result:
    from adops.intelligence.memory import measure_due

    stored = measure_due()
    return {"measured": len(stored), "applications": [m["application_id"] for m in stored]}


@DBOS.workflow(name="recommendations.measure", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def measure_job(params: dict[str, Any]) -> Result:
    """Measure the outcomes of applied recommendations whose window has passed."""
    return _job("recommendations.measure", params, lambda _: dict(step("measure outcomes", _measure)))
