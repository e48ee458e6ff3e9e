"""Schedules: one DBOS schedule per `[[schedules]]` plus maintenance and retention, kept in step
with adops.toml, with backfill; a tick queues its job with the usual de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adops import jobs
from adops.jobs import schedules, worker
from tests.jobs.support import launched, run


def write(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(text)


def test_schedules_follow_the_file_and_stale_ones_go(workspace: Path) -> None:
    from dbos import DBOS

    from adops.jobs import workflows

    write(
        workspace,
        '[[schedules]]\ncron = "0 * * * *"\n\n[[schedules]]\ncron = "*/15 6-20 * * 1-5"\nplatforms = ["meta"]\n',
    )
    with launched():
        assert worker.apply_schedules(workflows.schedule_tick) == [
            "maintenance",
            "recommendation-outcomes",
            "retention",
            "sync-1",
            "sync-2",
            "workflow-expiry",
        ]
        stored = {s["schedule_name"]: s for s in DBOS.list_schedules()}
        assert stored["sync-2"]["schedule"] == "*/15 6-20 * * 1-5" and stored["sync-2"]["automatic_backfill"]
        assert stored["sync-2"]["context"] == {
            "kind": "sync",
            "params": {"platforms": ["meta"], "trigger": "schedule"},
        }
        assert stored["maintenance"]["context"]["kind"] == "warehouse.maintain"
        assert all(s["queue_name"] == "light" for s in stored.values())
        write(workspace, '[[schedules]]\ncron = "30 2 * * *"\n')
        assert worker.apply_schedules(workflows.schedule_tick) == [
            "maintenance",
            "recommendation-outcomes",
            "retention",
            "sync-1",
            "workflow-expiry",
        ]
        assert sorted(s["schedule_name"] for s in DBOS.list_schedules()) == [
            "maintenance",
            "recommendation-outcomes",
            "retention",
            "sync-1",
            "workflow-expiry",
        ]
        states = {s.spec.name: s for s in jobs.schedule_states()}
        assert states["sync-1"].status == "ACTIVE" and states["sync-1"].spec.cron == "30 2 * * *"
        assert (states["sync-1"].next_run.hour, states["sync-1"].next_run.minute) == (2, 30)


def test_a_tick_queues_its_job_once_while_that_work_waits(workspace: Path) -> None:
    from dbos import DBOS, SetWorkflowID

    from adops.jobs import workflows

    with launched():
        waiting = jobs.enqueue("sync", {"platforms": [], "trigger": "page"})
        ticks = []
        for n in range(2):  # two missed ticks, backfilled after downtime
            with SetWorkflowID(f"sched-sync-1-tick-{n}"):
                handle = DBOS.start_workflow(
                    workflows.schedule_tick, f"2026-12-07T0{n}:00:00+00:00", schedules.specs()[0].context()
                )
            ticks.append(handle.get_result())
        assert [t["job_id"] for t in ticks] == [waiting, waiting]  # attached to the queued sync
        assert [j.id for j in jobs.recent(10, kind="sync")] == [waiting]
    maintenance = schedules.find("maintenance")
    assert maintenance is not None and maintenance.next_run(datetime(2026, 12, 7, 4, tzinfo=UTC)).hour == 3
    assert run(jobs.run_schedule("maintenance")).status == "done"
