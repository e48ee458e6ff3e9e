"""Operations: /metrics in Prometheus format, /health per part, JSON logs, no access line per poll."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from adops import metrics, store
from adops.notify import deliveries
from adops.sidecar import logs
from adops.sidecar.app import create_app


def scrape(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def test_metrics_cover_jobs_queues_sse_deliveries_and_sync_rows(workspace: Path) -> None:
    t0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    metrics.observe_event("job.started", {"job_id": "j-ops-1", "kind": "sync"}, t0)
    metrics.observe_event(
        "job.done",
        {"job_id": "j-ops-1", "kind": "sync", "result": {"rows": 1200, "duration_s": 4.0}},
        t0 + timedelta(seconds=4),
    )
    metrics.observe_event("job.started", {"job_id": "j-ops-2", "kind": "forecast.run"}, t0)
    metrics.observe_event(
        "job.failed", {"job_id": "j-ops-2", "kind": "forecast.run"}, t0 + timedelta(seconds=1)
    )
    metrics.observe_event("job.done", "not a dict", t0)  # hostile data is ignored
    deliveries.plan_rows(
        store.engine(), [{"id": "dlv_1_a", "endpoint": "https://e.example", "event_id": 1, "event_type": "t"}]
    )
    with TestClient(create_app()) as client:
        got = scrape(client)
    assert ({"kind": "sync"}, 1.0) in got["adops_job_duration_seconds_count"]
    assert any(
        labels == {"kind": "sync", "le": "5.0"} and v >= 1
        for labels, v in got["adops_job_duration_seconds_bucket"]
    )
    assert any(labels == {"kind": "forecast.run"} and v >= 1 for labels, v in got["adops_job_failures_total"])
    assert got["adops_sync_rows_per_second"][0][1] == 300.0
    assert got["adops_sse_clients"] == [({}, 0.0)]
    assert got["adops_webhook_delivery_backlog"] == [({}, 1.0)]
    assert "adops_queue_depth" not in got or got["adops_queue_depth"] == []  # no jobs engine in this app
    assert got["adops_dbos_running"] == [({}, 0.0)]


def test_health_reports_each_part(workspace: Path) -> None:
    with TestClient(create_app()) as client:
        response = client.get("/health")
    body = response.json()
    assert response.status_code == 200 and body["status"] in ("ok", "degraded")
    parts = body["parts"]
    assert set(parts) == {"store", "warehouse", "dbos", "hub", "deliveries"}
    assert all(p["status"] in ("ok", "degraded") for p in parts.values())
    assert parts["store"]["status"] == "ok" and parts["hub"]["clients"] == 0
    assert parts["deliveries"] == {
        "status": "ok",
        "backlog": 0,
        "oldest_pending_s": None,
        "held_notifications": 0,
    }
    assert body["store"] == "ok" and "jobs" in body and "events" in body  # the earlier shape stays


def _access(path: str, status: int) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", path, "1.1", status),
        None,
    )


def test_no_access_line_for_successful_polls() -> None:
    quiet = logs.QuietPolls()
    assert not quiet.filter(_access("/health", 200))
    assert not quiet.filter(_access("/metrics", 200))
    assert not quiet.filter(_access("/health?verbose=1", 200))
    assert quiet.filter(_access("/health", 503))  # a failing poll is worth a line
    assert quiet.filter(_access("/events", 200))
    assert quiet.filter(_access("/healthz", 200))
    create_app()
    assert any(isinstance(f, logs.QuietPolls) for f in logging.getLogger("uvicorn.access").filters)


def test_logs_are_json_lines_with_access_fields() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure(stream=stream)
        logging.getLogger("adops.sidecar").info("sidecar on %s", "http://127.0.0.1:8765")
        logging.getLogger("uvicorn.access").handle(_access("/events", 200))
        logging.getLogger("uvicorn.access").handle(_access("/health", 200))
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    assert lines[0]["message"] == "sidecar on http://127.0.0.1:8765" and lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "adops.sidecar" and "time" in lines[0]
    assert (lines[1]["method"], lines[1]["path"], lines[1]["status"]) == ("GET", "/events", 200)
