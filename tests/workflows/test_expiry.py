"""Runs nobody approves expire on their own: the hourly `workflow.expire` job cancels them after
`approval_timeout_hours`, records the decision (who: the setting; why: "expired after N h") and
publishes it; a decision taken first stands; the clock is advanced, not waited for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adops import clock, jobs, workflows
from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from adops.errors import Conflict
from adops.jobs import schedules
from adops.store import events
from adops.workflows import approval, expiry, records
from tests.jobs import support as jobs_support
from tests.workflows import support


@pytest.fixture
def sandbox(workspace: Path) -> Path:
    init_state(7, date(2026, 11, 24), (3, 3))
    return workspace


def waiting_run(workflow: str = "bulk") -> str:
    """A run recorded as awaiting approval now (what `workflow.run` leaves behind), without DBOS."""
    run_id = workflows.api.new_run_id(workflow)
    records.create(run_id, workflow, {}, False, "tester", None)
    records.set_status(run_id, "awaiting_approval", started_at=records.now())
    return run_id


def advance(monkeypatch: pytest.MonkeyPatch, hours: float) -> datetime:
    moment = datetime.now(UTC) + timedelta(hours=hours)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def test_the_hourly_schedule_queues_the_expiry_job() -> None:
    spec = schedules.find("workflow-expiry")
    assert spec is not None and spec.kind == "workflow.expire" and spec.cron == "11 * * * *"
    assert jobs.kinds.kind("workflow.expire").module == "adops.workflows.runner"


@pytest.mark.slow
def test_a_waiting_run_expires_after_its_timeout_and_says_so(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    acc = next(a for a in load_world().accounts if a.platform == "meta")
    frame = SandboxConnector("meta").campaigns(acc.id)
    cid = str(frame[frame.status == "ENABLED"]["campaign_id"].iloc[0])
    ents = [{"platform": "meta", "account_id": acc.id, "entity_id": cid}]
    run = support.start("bulk", {"action": "pause", "entities": ents})
    assert run["status"] == "awaiting_approval"
    last = max((e.id for e in events.after(0, limit=10_000)), default=0)

    advance(monkeypatch, 71.5)
    assert expiry.expire_due() == []  # within the default 72 hours: still waiting
    assert workflows.show(run["run_id"])["status"] == "awaiting_approval"

    advance(monkeypatch, 72.5)
    assert expiry.expire_due() == [run["run_id"]]
    done = workflows.show(run["run_id"])
    assert done["status"] == "cancelled" and done["finished_at"] is not None
    assert done["error"].startswith("expired after 72 h")
    decision = records.approval(run["run_id"])
    assert decision is not None and (decision.decision, decision.source) == ("expired", "timeout")
    assert decision.by == "approval timeout ([workflows.bulk] approval_timeout_hours = 72)"
    assert decision.note.startswith("expired after 72 h")
    [event] = [e for e in events.after(last, limit=10_000) if e.type == "workflow.failed"]
    assert event.data["run_id"] == run["run_id"] and event.data["decision"] == "expired"
    assert event.data["status"] == "cancelled" and event.data["by"] == decision.by

    assert expiry.expire_due() == []  # a second pass (the next hour, a replayed job) does nothing
    with pytest.raises(Conflict):
        workflows.approve(run["run_id"], by="Dana")  # too late: nothing changes
    now = SandboxConnector("meta").campaigns(acc.id)
    assert str(now[now.campaign_id == cid]["status"].iloc[0]) == "ENABLED"
    assert support.audit_rows(run["run_id"]) == []


def test_each_workflow_has_its_own_timeout(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (sandbox / "adops.toml").write_text("[workflows.bulk]\napproval_timeout_hours = 1.5\n")
    bulk, pacing = waiting_run("bulk"), waiting_run("pacing-guard")
    advance(monkeypatch, 2)
    assert expiry.expire_due() == [bulk]
    assert workflows.show(bulk)["error"].startswith("expired after 1.5 h")
    assert workflows.show(pacing)["status"] == "awaiting_approval"  # default 72 h


def test_a_decision_taken_first_stands(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    approved, rejected = waiting_run(), waiting_run()
    approval.record(approved, "Dana", "cli")  # approved, its changes not yet under way
    workflows.reject(rejected, by="Sam")
    advance(monkeypatch, 100)
    assert expiry.expire_due() == []
    assert records.approval(approved).decision == "approve"  # type: ignore[union-attr]
    assert workflows.show(rejected)["error"] == "rejected by Sam"


def test_other_statuses_never_expire(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for status in ("running", "succeeded", "failed", "undone"):
        run_id = waiting_run()
        records.set_status(run_id, status)
    advance(monkeypatch, 1000)
    assert expiry.expire_due() == []


@pytest.mark.slow
def test_the_job_expires_overdue_runs(sandbox: Path) -> None:
    overdue, fresh = waiting_run(), waiting_run()
    # the job runs in DBOS's threads: the run's start is moved back instead of the clock forward
    records.set_status(overdue, "awaiting_approval", started_at=records.now() - timedelta(hours=80))
    job = jobs_support.run(jobs.enqueue("workflow.expire", {}))
    assert job.status == "done", job
    assert workflows.show(overdue)["status"] == "cancelled"
    assert workflows.show(fresh)["status"] == "awaiting_approval"
