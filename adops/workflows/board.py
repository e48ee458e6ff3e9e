"""What the Workflows page shows, as frames: the catalogue, runs, a run's changes (the diff) and the
timeline of its steps. Reads only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from adops.workflows import api

RUN_COLUMNS = [
    "run_id",
    "workflow",
    "status",
    "dry_run",
    "changes",
    "requested_by",
    "approved_by",
    "created_at",
]
CHANGE_COLUMNS = [
    "platform",
    "account_id",
    "entity_type",
    "entity_id",
    "field",
    "before",
    "after",
    "reason",
    "status",
]


def runs_frame(limit: int = 200, workflow: str | None = None) -> pd.DataFrame:
    """Runs newest first, one row each (the list reads no steps: it stays flat at thousands of runs)."""
    rows = api.runs(limit, workflow, details=False)
    from adops.workflows import records

    counts = records.change_counts([r["run_id"] for r in rows])
    frame = pd.DataFrame(
        [{**{k: r.get(k) for k in RUN_COLUMNS}, "changes": counts.get(r["run_id"], 0)} for r in rows],
        columns=RUN_COLUMNS,
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def active_job(run: dict[str, Any]) -> str | None:
    """The run's job that is queued or running now (its run, its changes after approval, its undo)."""
    from adops import jobs

    for job_id in (run["run_id"], f"{run['run_id']}.apply", f"{run['run_id']}.undo"):
        job = jobs.get(job_id)
        if job is not None and job.active:
            return job_id
    return None


def changes_frame(run: dict[str, Any]) -> pd.DataFrame:
    """The run's changes, before → after, as the reviewer sees them."""
    rows = [
        {k: _show(c.get(k)) if k in ("before", "after") else c.get(k) for k in CHANGE_COLUMNS}
        for c in run["changes"]
    ]
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def steps_frame(run: dict[str, Any]) -> pd.DataFrame:
    """One row per step with its start and end (a running step ends now), for the timeline."""
    now = datetime.now(UTC)
    rows = []
    for s in run["steps"]:
        start = pd.Timestamp(s["started_at"]) if s["started_at"] else None
        if start is None:
            continue
        end = pd.Timestamp(s["finished_at"]) if s["finished_at"] else pd.Timestamp(now)
        if end <= start:
            end = start + pd.Timedelta(milliseconds=5)  # visible on the chart
        rows.append({"step": s["name"], "status": s["status"], "start": start, "finish": end,
                     "seconds": round((end - start).total_seconds(), 3), "error": s.get("error") or ""})  # fmt: skip
    return pd.DataFrame(rows, columns=["step", "status", "start", "finish", "seconds", "error"])


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.2f}"
    return str(value)
