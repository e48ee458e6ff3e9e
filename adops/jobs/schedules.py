"""The cron schedules the sidecar runs: one per `[[schedules]]` in adops.toml, plus the house's own.

Each is a DBOS schedule (`DBOS.apply_schedules`, automatic backfill: ticks missed while the
sidecar was down run when it starts) whose tick queues a job. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adops import config

#: compact and vacuum the warehouse daily, at a quiet hour (UTC)
MAINTENANCE_CRON = "17 3 * * *"
#: prune the job history daily, after maintenance
RETENTION_CRON = "41 3 * * *"
#: finished jobs older than this many days leave the history
RETENTION_DAYS = 30


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as configured: its DBOS name, cron, and the job each tick queues."""

    name: str
    cron: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    title: str = ""

    def context(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params}

    def next_run(self, after: datetime | None = None) -> datetime:
        """The next tick after `after` (default now), UTC."""
        from croniter import croniter

        start = after or datetime.now(UTC)
        return croniter(self.cron, start).get_next(datetime).astimezone(UTC)


def specs(cfg: config.Config | None = None) -> list[ScheduleSpec]:
    """Every schedule of the workspace: its syncs in file order, then maintenance and retention."""
    cfg = cfg or config.load()
    out = [
        ScheduleSpec(
            f"sync-{i}",
            s.cron,
            "sync",
            {"platforms": sorted(s.platforms), "trigger": "schedule"},
            f"Sync {', '.join(s.platforms) or 'every platform'}",
        )
        if not s.workflow
        else ScheduleSpec(
            f"workflow-{i}",
            s.cron,
            "workflow.scheduled",
            {"workflow": s.workflow, "preset": s.preset},
            f"Workflow {s.workflow} ({s.preset})",
        )
        for i, s in enumerate(cfg.schedules, start=1)
    ]
    out.append(
        ScheduleSpec("maintenance", MAINTENANCE_CRON, "warehouse.maintain", {}, "Warehouse maintenance")
    )
    out.append(
        ScheduleSpec(
            "retention", RETENTION_CRON, "jobs.prune", {"days": RETENTION_DAYS}, "Job history retention"
        )
    )
    out.append(
        ScheduleSpec(
            "recommendation-outcomes", "29 4 * * *", "recommendations.measure", {}, "Recommendation outcomes"
        )
    )
    out.append(
        ScheduleSpec("workflow-expiry", "11 * * * *", "workflow.expire", {}, "Workflow approval expiry")
    )
    return out


def find(name: str, cfg: config.Config | None = None) -> ScheduleSpec | None:
    return next((s for s in specs(cfg) if s.name == name), None)
