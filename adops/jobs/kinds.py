"""What kinds of background work exist, which queue each runs on, and what makes two jobs the same.

Plain data, no DBOS: the CLI and the pages read it to validate what they enqueue and to explain a
queue, without importing the workflows (those live in `adops.jobs.workflows`, in the sidecar).

Queues keep unrelated work apart, so a forecast never delays a sync:

- `syncs`: everything that writes the warehouse (syncs, maintenance, account purges), one at a
  time; each also takes the workspace write lock, so a CLI `adops sync` still waits its turn;
- `compute`: forecasts and response-curve fits, two at a time;
- `changes`: work that changes the ad platforms (budget plan steps, rollouts), one at a time;
- `light`: short work (winner decisions, connection checks, schedule ticks, retention).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adops.errors import InputError

#: the largest params document a job accepts (JSON, in characters)
MAX_PARAMS_CHARS = 16_000


@dataclass(frozen=True)
class QueueSpec:
    """A DBOS queue: how many of its jobs run at once, how often the sidecar looks for new ones."""

    name: str
    concurrency: int
    polling_interval_sec: float
    purpose: str
    #: how many of its jobs one worker runs at once (None: up to `concurrency`)
    worker_concurrency: int | None = None


QUEUES: dict[str, QueueSpec] = {
    q.name: q
    for q in (
        QueueSpec("syncs", 1, 0.2, "warehouse writers: syncs, maintenance, account purges (one at a time)"),
        QueueSpec("sync_parts", 2, 0.2, "parts of a big sync: two at once, one per worker", 1),
        QueueSpec("compute", 2, 0.5, "forecasts and response-curve fits (two at a time)"),
        QueueSpec("changes", 1, 0.2, "changes to the ad platforms: budget plans, rollouts (one at a time)"),
        QueueSpec("workflows", 16, 0.2, "workflow runs and their changes (16 at a time)"),
        QueueSpec(
            "light", 4, 0.2, "short work: winner decisions, connection checks, schedule ticks, retention"
        ),
    )
}


def _without(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Identity of a job: its params less those that do not change the work (who asked, from where)."""

    def identity(params: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in params.items() if k not in names}

    return identity


def _sync_identity(params: dict[str, Any]) -> dict[str, Any]:
    """A page's "Sync now" and the hourly schedule ask for the same work: the trigger does not count."""
    return {
        "platforms": sorted(params.get("platforms") or []),
        "since": params.get("since"),
        "until": params.get("until"),
    }


@dataclass(frozen=True)
class Kind:
    """One kind of job: its name (also its DBOS workflow's name), title, queue and identity."""

    name: str
    title: str
    queue: str
    identity: Callable[[dict[str, Any]], dict[str, Any]] = field(default=_without())
    #: enqueued by people (CLI, pages); internal kinds only by the sidecar itself
    public: bool = True
    #: the module that defines the kind's DBOS workflow; the worker imports it before launch, so
    #: this package never imports the capabilities whose jobs it runs
    module: str = "adops.jobs.workflows"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("sync", "Sync", "syncs", _sync_identity),
        Kind("sync.part", "Sync part", "sync_parts", public=False, module="adops.ingest.part_job"),
        Kind("warehouse.maintain", "Warehouse maintenance", "syncs"),
        Kind("warehouse.delete_account", "Account purge", "syncs"),
        Kind("experiments.decide", "Winner decisions", "light"),
        Kind("connectors.check", "Connection check", "light"),
        Kind("optimize.fit", "Response-curve fit", "compute"),
        Kind("forecast.run", "Forecast", "compute"),
        Kind("anomalies.scan", "Anomaly scan", "compute"),
        Kind("budget_plan.run", "Budget plan run", "changes", _without("actor")),
        Kind("experiment.rollout", "A/B rollout", "changes", _without("actor")),
        Kind("jobs.prune", "Job history retention", "light"),
        Kind("prd.push", "PRD → Asana push", "light", module="adops.integrations.prd_workflow"),
        Kind(
            "recommendations.measure",
            "Recommendation outcomes",
            "light",
            module="adops.intelligence.workflow",
        ),
        Kind("workflow.run", "Workflow run", "workflows", module="adops.workflows.runner"),
        Kind("workflow.apply", "Workflow changes", "workflows", module="adops.workflows.runner"),
        Kind("workflow.undo", "Workflow undo", "changes", _without("by"), module="adops.workflows.runner"),
        Kind(
            "workflow.approve", "Workflow approval", "light", _without("by"), module="adops.workflows.runner"
        ),
        Kind("workflow.scheduled", "Scheduled workflow", "light", module="adops.reports.schedule"),
        Kind("workflow.expire", "Workflow approval expiry", "light", module="adops.workflows.runner"),
        Kind("schedule.tick", "Schedule tick", "light", public=False),
    )
}


def workflow_modules() -> list[str]:
    """Every module that defines a kind's DBOS workflow (imported by the worker before launch)."""
    return sorted({k.module for k in KINDS.values()})


def kind(name: str) -> Kind:
    """The kind called `name`; an InputError naming the known ones otherwise."""
    found = KINDS.get(name)
    if found is None:
        known = ", ".join(k for k, v in KINDS.items() if v.public)
        raise InputError(f"unknown job kind {str(name)[:80]!r}; known kinds: {known}")
    return found


def checked_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Params as a JSON object of bounded size (they are stored as the workflow's input)."""
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise InputError("job params must be a JSON object")
    try:
        text = json.dumps(params, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"job params must be plain JSON: {exc}") from None
    if len(text) > MAX_PARAMS_CHARS:
        raise InputError(f"job params are {len(text):,} characters; at most {MAX_PARAMS_CHARS:,}")
    return dict(json.loads(text))


def dedupe_key(name: str, params: dict[str, Any]) -> str:
    """The key under which one queued or running job of this work exists at a time."""
    identity = json.dumps(kind(name).identity(params), sort_keys=True, separators=(",", ":"))
    return f"{name}:{hashlib.sha256(identity.encode()).hexdigest()[:24]}"


def new_id(name: str) -> str:
    """A job id people can read and sort: `sync-20261207-101502.348-a3f9c1` (kind, UTC time to the
    millisecond, random). DBOS stores creation times in whole seconds; the id orders within one."""
    now = datetime.now(UTC)
    return f"{name}-{now:%Y%m%d-%H%M%S}.{now.microsecond // 1000:03d}-{secrets.token_hex(3)}"


_ID_TIME = re.compile(r"-(\d{8}-\d{6}\.\d{3})-[0-9a-f]{6}$")


def id_time(job_id: str) -> str:
    """The creation time written into an id by `new_id` ("" for ids made elsewhere), for ordering."""
    found = _ID_TIME.search(job_id)
    return found.group(1) if found else ""


def options(
    name: str, params: dict[str, Any], job_id: str | None = None, dedupe: bool = True
) -> dict[str, Any]:
    """DBOS enqueue options for a job: its queue, its id and, with `dedupe`, de-duplication that
    attaches a second request for the same work to the job already queued or running (DBOS then
    returns that job's id). No application version is pinned: the sidecar's current one runs it."""
    spec = kind(name)
    out: dict[str, Any] = {
        "workflow_name": spec.name,
        "queue_name": spec.queue,
        "workflow_id": job_id or new_id(spec.name),
    }
    if dedupe:
        out |= {"deduplication_id": dedupe_key(spec.name, params), "duplication_policy": "return-existing"}
    return out
