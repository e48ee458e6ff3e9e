"""`[[schedules]]` with `workflow` and `preset`: a cron tick starts that workflow with the saved preset
(a weekly scheduled-report), once per tick even when its step repeats; bad tables are ConfigErrors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adops import config, jobs, store, workflows
from adops.errors import ConfigError
from adops.jobs import schedules
from adops.notify import channels
from adops.reports.schedule import start_once
from tests.jobs import support

pytestmark = pytest.mark.slow

TABLE = '[[schedules]]\ncron = "0 7 * * 1"\nworkflow = "scheduled-report"\npreset = "weekly"\n'


@pytest.fixture
def demo_copy(demo_home: Path, workspace: Path) -> Iterator[Path]:
    shutil.copytree(demo_home, workspace, dirs_exist_ok=True)
    (workspace / "adops.toml").write_text(TABLE + '[notifications.slack]\nwebhook_url = "env:SLACK_URL"\n')
    store.reset()
    support.launch()
    yield workspace
    support.stop()


def test_a_workflow_schedule_is_a_spec_of_its_own(demo_copy: Path) -> None:
    spec = schedules.find("workflow-1")
    assert spec is not None and spec.kind == "workflow.scheduled" and spec.cron == "0 7 * * 1"
    assert spec.params == {"workflow": "scheduled-report", "preset": "weekly"}
    assert config.masked(config.load())["schedules"][0]["preset"] == "weekly"


def test_a_tick_starts_the_preset_once_and_the_report_is_sent(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []

    async def fake(cfg: Any, channel: str, message: Any) -> channels.Sent:
        sent.append(message)
        return channels.Sent(True, 200)

    monkeypatch.setattr(channels, "send", fake)
    workflows.save_preset("scheduled-report", "weekly", {"channel": "slack", "days": 7}, by="Dana")
    job_id = jobs.enqueue("workflow.scheduled", {"workflow": "scheduled-report", "preset": "weekly"})
    assert support.run(job_id).status == "done"
    run_id = start_once("scheduled-report", "weekly", job_id)  # the step again: the same run
    assert [r["run_id"] for r in workflows.runs(workflow="scheduled-report")] == [run_id]
    support.run(run_id)
    done = workflows.wait(run_id, until=("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["requested_by"] == f"schedule {job_id}"
    assert len(sent) == 1 and sent[0].fields["Spend"].startswith("USD ")


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ('[[schedules]]\ncron = "0 7 * * 1"\npreset = "weekly"\n', "preset needs workflow"),
        ('[[schedules]]\ncron = "0 7 * * 1"\nworkflow = "scheduled-report"\n', "names a preset"),
        ('[[schedules]]\ncron = "0 7 * * 1"\nworkflow = "../x"\npreset = "w"\n', "workflow"),
        (
            '[[schedules]]\ncron = "0 7 * * 1"\nplatforms = ["meta"]\nworkflow = "scheduled-report"\npreset = "w"\n',
            "platforms",
        ),
        (
            '[[schedules]]\ncron = "0 7 * * 1"\nworkflow = "scheduled-report"\npreset = "'
            + "p" * 200
            + '"\n',
            "preset",
        ),
    ],
)
def test_bad_workflow_schedules_are_config_errors(workspace: Path, table: str, match: str) -> None:
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(table)
    with pytest.raises(ConfigError, match=match):
        config.load()
