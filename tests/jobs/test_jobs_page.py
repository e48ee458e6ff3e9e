"""The Jobs page run headless with AppTest: empty state, why a job waits, cancel, retry, run now."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from adops import jobs
from adops.jobs import system
from tests.jobs.support import run

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "jobs.py")


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def test_an_empty_workspace_shows_the_schedules_and_writes_nothing(workspace: Path) -> None:
    at = page()
    assert not at.exception, at.exception
    assert at.title[0].value == "Jobs"
    assert [i.value for i in at.info] == ["Nothing is running or queued.", "No job has finished yet."]
    schedules = at.dataframe[0].value
    assert list(schedules["schedule"]) == [
        "sync-1",
        "maintenance",
        "retention",
        "recommendation-outcomes",
        "workflow-expiry",
    ]
    assert list(schedules["state"]) == ["Not applied"] * 5
    assert any("sidecar is not answering" in w.value for w in at.warning)
    assert not (workspace / system.FILE).exists()  # drawing the page made no database


def test_a_queued_job_says_why_it_waits_and_can_be_cancelled() -> None:
    first = jobs.enqueue("sync", {"platforms": ["meta"]})
    second = jobs.enqueue("sync", {"platforms": ["tiktok"]})
    at = page()
    assert not at.exception, at.exception
    active = at.dataframe[0].value
    assert list(active["job"]) == [second, first] and set(active["status"]) == {"queued"}
    why = dict(zip(active["job"], active["now"], strict=True))
    assert why[first].startswith("#1 in the syncs queue") and why[second].startswith("#2 in the syncs queue")
    assert first in why[second]
    at.selectbox(key="jobs-active").set_value(second).run()
    at.button(key="jobs-cancel").click().run()
    assert not at.exception, at.exception
    assert any(f"Cancelled {second}" in s.value for s in at.success)
    assert jobs.get(second).status == "cancelled"  # type: ignore[union-attr]
    assert jobs.get(first).status == "queued"  # type: ignore[union-attr]


def test_a_failed_job_shows_its_steps_and_error_and_retries_from_its_failed_step() -> None:
    failed = run(jobs.enqueue("budget_plan.run", {"plan_id": 7, "action": "apply"}))
    at = page()
    assert not at.exception, at.exception
    assert any("Budget plan run failed: PlanNotFound: no budget plan 7" in e.value for e in at.error)
    steps = at.dataframe[-1].value
    assert list(steps["name"]) == ["start", "apply today's step", "report failure"]
    assert list(steps["status"]) == ["done", "failed", "done"]
    assert at.selectbox(key="jobs-step").value == 2  # the failed step is offered first
    assert at.button(key="jobs-resume").disabled  # only a cancelled job resumes
    at.button(key="jobs-retry").click().run()
    assert not at.exception, at.exception
    retried = [j for j in jobs.recent(5, kind="budget_plan.run") if j.id != failed.id]
    assert len(retried) == 1 and retried[0].forked_from == failed.id and retried[0].status == "queued"
    assert any(f"a retry of {failed.id}" in s.value for s in at.success)


def test_run_now_queues_the_schedules_job_and_a_bad_action_is_shown_not_raised() -> None:
    at = page()
    at.selectbox(key="jobs-schedule").set_value("maintenance").run()
    at.button(key="jobs-run-now").click().run()
    assert not at.exception, at.exception
    (queued,) = jobs.recent(5, kind="warehouse.maintain")
    assert queued.status == "queued" and any("for the maintenance schedule" in s.value for s in at.success)
    at.selectbox(key="jobs-active").set_value(queued.id).run()
    jobs.cancel(queued.id)  # someone else was quicker: the page's cancel is refused, with why
    at.button(key="jobs-cancel").click().run()
    assert not at.exception, at.exception
    assert any("Not now" in e.value and "only a queued or running job" in e.value for e in at.error)
