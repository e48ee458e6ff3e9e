"""The `sync.part` job: one part of a big sync's accounts read and staged on any worker
(`adops.ingest.parts` says how and why). Its own module, so `adops.jobs.workflows` (which hands the
sync job `parts.fetch_spread`) and the part's workflow do not import each other."""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from adops.ingest.parts import KIND, fetch_part
from adops.jobs.workflows import MAX_RECOVERY_ATTEMPTS, Result, _job, step


@DBOS.workflow(name=KIND, max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def part_job(params: dict[str, Any]) -> Result:
    """Read and stage one part of a sync's accounts (queued by the sync job, on any worker)."""
    return _job(KIND, params, lambda p: dict(step("read and stage", fetch_part, p)))
