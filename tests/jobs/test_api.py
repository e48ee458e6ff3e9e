"""Queueing, reading and steering jobs through the DBOS client: what pages and the CLI rely on."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from adops import jobs
from adops.errors import Conflict, InputError, NotFound
from adops.jobs import kinds, schedules, system
from adops.store import events
from tests.jobs.support import run


def test_a_request_for_work_already_queued_returns_that_job() -> None:
    first = jobs.enqueue("sync", {"platforms": ["meta"], "trigger": "page"})
    assert (
        jobs.enqueue("sync", {"platforms": ["meta"], "trigger": "schedule"}) == first
    )  # trigger does not count
    other = jobs.enqueue("sync", {"platforms": ["tiktok"]})
    assert other != first
    assert jobs.enqueue("sync", {"platforms": ["meta"]}, dedupe=False) not in (first, other)
    queued = [e.data["job_id"] for e in events.after(0) if e.type == "job.queued"]
    assert first in queued and other in queued and len(queued) == 3  # attaching publishes nothing
    job = jobs.get(first)
    assert job is not None and job.status == "queued" and job.queue == "syncs" and job.kind == "sync"
    assert job.params == {"platforms": ["meta"], "trigger": "page"}


def test_each_kind_has_its_queue_so_a_forecast_never_waits_before_a_sync() -> None:
    forecast = jobs.enqueue("forecast.run", {"level": "campaign"})
    sync = jobs.enqueue("sync", {})
    assert jobs.get(forecast).queue == "compute" and jobs.get(sync).queue == "syncs"  # type: ignore[union-attr]
    wait = jobs.waiting(sync)
    assert wait is not None and wait.position == 1 and not wait.ahead
    assert "#1 in the syncs queue (one at a time)" in wait.explain()
    second = jobs.enqueue("sync", {"platforms": ["meta"]})
    later = jobs.waiting(second)
    assert later is not None and later.position == 2 and [j.id for j in later.ahead] == [sync]
    assert sync in later.explain() and "1 queued ahead" in later.explain()
    assert jobs.waiting(forecast).queue.name == "compute"  # type: ignore[union-attr]
    assert {q.name for q in jobs.QUEUES.values()} == {
        "syncs",
        "sync_parts",
        "compute",
        "changes",
        "light",
        "workflows",
    }
    assert all(
        kinds.KINDS[k].queue == "syncs" for k in ("sync", "warehouse.maintain", "warehouse.delete_account")
    )
    assert all(kinds.KINDS[k].queue == "compute" for k in ("forecast.run", "optimize.fit"))


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("teleport", {}, "unknown job kind"),
        ("x" * 10_000, {}, "unknown job kind"),
        ("schedule.tick", {}, "sidecar only"),
        ("sync", ["meta"], "JSON object"),
        ("sync", {"platforms": {1, 2}}, "plain JSON"),
        ("sync", {"n": float("nan")}, "plain JSON"),
        ("sync", {"blob": "x" * 20_000}, "at most"),
    ],
)
def test_bad_kinds_and_params_are_input_errors(kind: str, params: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        jobs.enqueue(kind, params)  # type: ignore[arg-type]
    assert not system.exists() if system.is_sqlite(system.url()) else not jobs.recent()  # nothing made


@pytest.mark.parametrize(
    "job_id", ["", " ", "a b", "x" * 300, "../../etc/passwd", "id\x00", "';DROP TABLE x;--"]
)
def test_hostile_job_ids_are_refused(job_id: str) -> None:
    for call in (jobs.get, jobs.cancel, jobs.resume, jobs.retry, jobs.steps):
        with pytest.raises(InputError, match="not a job id"):
            call(job_id)  # type: ignore[operator]


def test_reading_an_empty_workspace_creates_nothing(workspace: Path) -> None:
    assert jobs.recent() == [] and jobs.get("sync-1") is None and jobs.steps("sync-1") == []
    states = jobs.schedule_states()
    assert [s.spec.name for s in states] == [spec.name for spec in schedules.specs()]  # the built-in ones
    assert {s.status for s in states} == {"not applied"}
    assert not (workspace / system.FILE).exists()
    with pytest.raises(NotFound):
        jobs.cancel("sync-1")


@pytest.mark.sqlite_only
def test_the_jobs_database_is_private_and_beside_the_store(workspace: Path) -> None:
    jobs.enqueue("connectors.check")
    path = workspace / system.FILE
    assert system.url() == f"sqlite:///{path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "job_status" not in {p.name for p in workspace.iterdir()}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (serialization,) = db.execute("select serialization from workflow_status").fetchone()
        (inputs,) = db.execute("select inputs from workflow_input").fetchone()
    finally:
        db.close()
    assert serialization == "portable_json"  # readable JSON for any auditor, never pickle
    assert json.loads(inputs) == {"namedArgs": {}, "positionalArgs": [{}]}


def test_limits_and_filters_are_checked() -> None:
    for bad in (0, -5, 10_001):
        with pytest.raises(InputError, match="limit"):
            jobs.recent(bad)
    with pytest.raises(InputError, match="status"):
        jobs.recent(status="exploded")
    ids = [jobs.enqueue("sync", {"platforms": [p]}) for p in ("meta", "tiktok", "linkedin")]
    assert len(jobs.recent(2)) == 2 and {j.id for j in jobs.recent(10, kind="sync")} == set(ids)
    assert jobs.recent(10, status="done") == []


def test_a_failed_job_publishes_job_failed_with_its_error_and_steps() -> None:
    job = run(jobs.enqueue("budget_plan.run", {"plan_id": 999, "action": "apply", "actor": "ops"}))
    assert job.status == "failed" and job.error == "PlanNotFound: no budget plan 999"
    failed = [e.data for e in events.after(0) if e.type == "job.failed"]
    assert failed == [
        {
            "job_id": job.id,
            "kind": "budget_plan.run",
            "error": "PlanNotFound: no budget plan 999",
            "params": {"plan_id": 999, "action": "apply", "actor": "ops"},
            "severity": "warning",
        }
    ]
    steps = jobs.steps(job.id)
    assert [(s.name, s.status) for s in steps] == [
        ("start", "done"),
        ("apply today's step", "failed"),
        ("report failure", "done"),
    ]
    assert "no budget plan 999" in (steps[1].error or "")


def test_cancel_resume_and_retry_from_a_step() -> None:
    queued = jobs.enqueue("experiments.decide", {})
    cancelled = jobs.cancel(queued)
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict, match="only a queued or running job"):
        jobs.cancel(queued)
    with pytest.raises(Conflict, match="wait for it to end|cannot"):
        jobs.retry(jobs.enqueue("sync", {}))
    resumed = jobs.resume(queued)
    assert resumed.status == "queued" and resumed.queue == "light"
    done = run(queued)
    assert done.status == "done" and done.result == {"experiments": []}
    with pytest.raises(Conflict, match="only a cancelled job can be resumed; retry"):
        jobs.resume(queued)
    with pytest.raises(InputError, match="steps 1 to 3"):
        jobs.retry(queued, 9)
    again = jobs.retry(queued, 2)
    retried = jobs.get(again)
    assert retried is not None and retried.status == "queued" and retried.forked_from == queued
    assert retried.queue == "light" and retried.kind == "experiments.decide"
    assert run(again).status == "done"
    assert [s.name for s in jobs.steps(again)] == ["start", "decide winners", "finish"]
    kinds_seen = [e.type for e in events.after(0)]
    assert {"job.cancelled", "job.resumed", "job.retried", "job.done"} <= set(kinds_seen)


def test_a_sync_job_reports_progress_coalesced_and_queues_its_follow_ups(workspace: Path) -> None:
    from datetime import date

    from adops.connectors.sandbox import init_state
    from adops.forecast import jobs as forecast_jobs

    init_state(5, date(2026, 11, 24), (2, 3))
    job = run(jobs.enqueue("sync", {"platforms": ["pinterest"], "since": "2026-11-01"}))
    assert job.status == "done" and job.result is not None and job.result["status"] == "success"
    assert job.result["rows"] > 0 and job.progress == 1.0 and job.message.startswith("pinterest:")
    progress = [e.data for e in events.after(0) if e.type == "job.progress"]
    assert progress and progress[-1]["progress"] == 1.0 and len(progress) <= 3  # 2-3 accounts, coalesced
    assert [s.name for s in jobs.steps(job.id)] == [
        "start",
        "sync accounts",
        "optimize.fit",
        "experiments.decide",
        "anomalies.scan",
        "forecast.run",
        "finish",
    ]
    fit, decide, scan, forecast = (
        jobs.recent(1, kind=k)[0]
        for k in ("optimize.fit", "experiments.decide", "anomalies.scan", "forecast.run")
    )
    assert {fit.status, decide.status, scan.status, forecast.status} == {"queued"}
    assert set(job.result["follow_ups"]) == {fit.id, decide.id, scan.id, forecast.id}
    assert forecast.params == forecast_jobs.ForecastScope().to_params()  # the Forecast page's default
    assert run(fit.id).status == "done" and run(decide.id).status == "done"


def test_retention_prunes_finished_jobs_only() -> None:
    done = run(jobs.enqueue("experiments.decide", {}))
    waiting = jobs.enqueue("sync", {})
    assert jobs.prune(days=1) == 0  # nothing is old yet
    assert jobs.prune(days=0) == 1
    assert jobs.get(done.id) is None and jobs.get(waiting) is not None
    with pytest.raises(InputError, match="days"):
        jobs.prune(days=-1)


def test_the_jobs_database_url_can_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv("ADOPS_JOBS_DATABASE_URL", target)
    assert system.url() == target
    jobs.enqueue("connectors.check")
    assert (tmp_path / "elsewhere.sqlite").stat().st_size > 0
    assert os.environ["ADOPS_JOBS_DATABASE_URL"] == target
