"""The process's Prometheus metrics that domain code updates (counters and histograms).

The sidecar serves them at `GET /metrics` together with the gauges it reads when scraped (queue
depth, SSE clients, delivery backlog; `adops.sidecar.metrics`). Kept in a registry of its own, not
prometheus_client's global one, so that importing adops registers nothing elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

JOB_DURATION = Histogram(
    "adops_job_duration_seconds",
    "How long finished jobs ran, from job.started to job.done or job.failed, by kind.",
    ["kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
JOB_FAILURES = Counter("adops_job_failures", "Jobs that failed, by kind.", ["kind"], registry=REGISTRY)
JOBS_FINISHED = Counter(
    "adops_jobs_finished", "Jobs that ended, by kind and outcome.", ["kind", "outcome"], registry=REGISTRY
)
SYNC_ROWS = Counter("adops_sync_rows", "Rows merged into the warehouse by sync jobs.", registry=REGISTRY)
SYNC_ROWS_PER_S = Gauge(
    "adops_sync_rows_per_second", "Rows per second of the latest finished sync job.", registry=REGISTRY
)
DELIVERY_ATTEMPTS = Counter(
    "adops_webhook_delivery_attempts",
    "Outgoing webhook attempts by outcome (delivered, pending = will retry, failed, refused, disabled).",
    ["outcome"],
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "adops_notifications",
    "Notifications by channel and outcome (sent, held, failed).",
    ["channel", "outcome"],
    registry=REGISTRY,
)

_started: dict[str, datetime] = {}
_MAX_TRACKED = 10_000


def observe_event(event_type: str, data: Any, created_at: datetime) -> None:
    """Update the job metrics from one stored event (the dispatcher reads every event once)."""
    if not event_type.startswith("job.") or not isinstance(data, dict):
        return
    job_id, kind = str(data.get("job_id", "")), str(data.get("kind", "") or "unknown")[:60]
    if event_type == "job.started" and job_id:
        if len(_started) >= _MAX_TRACKED:
            _started.pop(next(iter(_started)))
        _started[job_id] = created_at
    elif event_type in ("job.done", "job.failed"):
        began = _started.pop(job_id, None)
        seconds = (created_at - began).total_seconds() if began is not None else None
        if seconds is not None and seconds >= 0:
            JOB_DURATION.labels(kind=kind).observe(seconds)
        outcome = "done" if event_type == "job.done" else "failed"
        JOBS_FINISHED.labels(kind=kind, outcome=outcome).inc()
        if outcome == "failed":
            JOB_FAILURES.labels(kind=kind).inc()
        result = data.get("result")
        if kind == "sync" and outcome == "done" and isinstance(result, dict):
            rows, duration = result.get("rows"), result.get("duration_s")
            if isinstance(rows, int | float) and rows >= 0:
                SYNC_ROWS.inc(rows)
                if isinstance(duration, int | float) and duration > 0:
                    SYNC_ROWS_PER_S.set(rows / duration)
