"""`campaign-launch` end to end on the sandbox: dry run, approval, a sync that shows the campaign, undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from adops import store, workflows
from adops.errors import InputError
from tests.jobs import support

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_copy(demo_home: Path, workspace: Path) -> Iterator[Path]:
    """A private copy of the demo workspace (a launch writes to the sandbox and the store)."""
    import shutil

    shutil.copytree(demo_home, workspace, dirs_exist_ok=True)
    store.reset()
    support.launch()  # one DBOS for the test's jobs, stopped after it
    yield workspace
    support.stop()


def _sandbox_campaigns(platform: str) -> Any:
    from adops import warehouse

    return warehouse.query(
        "SELECT account_id, campaign_id, campaign_name, status, daily_budget FROM campaigns WHERE platform = ?",
        [platform],
    )


def _run(name: str, params: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
    run_id = workflows.start(name, params, dry_run=dry_run, by="tester")
    support.run(run_id)
    return workflows.show(run_id)


def test_launch_dry_run_approve_sync_and_undo(demo_copy: Path) -> None:
    from adops.ingest import sync

    params = {"template": "black-friday", "platforms": ["meta", "google_ads"], "name": "BF launch – test ✓"}
    if True:
        dry = _run("campaign-launch", params, dry_run=True)
        assert dry["status"] == "succeeded" and dry["dry_run"]
        fields = [
            (c["platform"], c["field"], c["before"], c["after"] if c["field"] != "campaign" else "new")
            for c in dry["changes"]
        ]
        assert fields == [
            ("meta", "campaign", None, "new"),
            ("meta", "checked_status", "PAUSED", "ENABLED"),
            ("google_ads", "campaign", None, "new"),
            ("google_ads", "checked_status", "PAUSED", "ENABLED"),
        ]
        assert dry["changes"][0]["after"]["objective"] == "OUTCOME_SALES"
        sync()
        assert not (
            _sandbox_campaigns("meta")["campaign_name"] == "BF launch – test ✓"
        ).any()  # no side effect

        run_id = workflows.start("campaign-launch", params, by="tester")
        DBOS.resume_workflow(run_id, queue_name=support.TEST_QUEUE)  # runs in the kept launch
        waiting = workflows.wait(run_id, until=("awaiting_approval", "failed"))
        assert waiting["status"] == "awaiting_approval" and waiting["changes"][0]["field"] == "campaign"
        sync()
        assert not (_sandbox_campaigns("meta")["campaign_name"] == "BF launch – test ✓").any()
        approval = workflows.approve(run_id, by="Dana")
        support.run_next()  # what the approval queued, if it queued a job (else the run itself goes on)
        done = workflows.wait(run_id, until=("succeeded", "failed"))
        assert done["status"] == "succeeded", done
        sync()
        new = _sandbox_campaigns("meta")
        new = new[new["campaign_name"] == "BF launch – test ✓"]
        assert list(new["status"]) == ["ENABLED"] and float(new["daily_budget"].iloc[0]) == 150.0

        undo_id = workflows.undo(run_id, by="Dana")
        support.run(undo_id)
        assert workflows.show(run_id)["status"] == "undone"
        sync()
        after = _sandbox_campaigns("google_ads")
        assert list(after[after["campaign_name"] == "BF launch – test ✓"]["status"]) == ["PAUSED"]
        assert approval is not None


def test_a_template_that_breaks_a_platform_rule_changes_nothing(demo_copy: Path) -> None:
    if True:
        run = _run("campaign-launch", {"template": "awareness", "platforms": ["tiktok"], "daily_budget": 5})
    assert run["status"] == "failed" and run["changes"] == []
    assert "TikTok: daily_budget" in str(run)


@pytest.mark.parametrize(
    "params",
    [
        {"template": "../../etc"},
        {"template": "black-friday", "platforms": ["myspace"]},
        {"template": "black-friday", "daily_budget": -10},
        {"template": "black-friday", "name": "x" * 5000},
        {"template": "black-friday", "accounts": ["meta:act_nope"], "extra": 1},
    ],
)
def test_bad_launch_params_are_refused_before_a_run(params: dict[str, Any], workspace: Path) -> None:
    with pytest.raises(InputError):
        workflows.start("campaign-launch", params, by="tester")


def test_a_failed_creation_leaves_what_the_run_made_paused(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adops.connectors.errors import BadRequest
    from adops.connectors.sandbox.connector import SandboxConnector
    from adops.ingest import sync

    real = SandboxConnector.create_campaign

    def refuse_on_tiktok(self: SandboxConnector, account_id: str, template: Any) -> str:
        if self.platform == "tiktok":
            raise BadRequest("tiktok: the platform refused the campaign (test)")
        return real(self, account_id, template)

    monkeypatch.setattr(SandboxConnector, "create_campaign", refuse_on_tiktok)
    params = {"template": "holiday", "platforms": ["meta", "tiktok"], "name": "Compensated launch"}
    run_id = workflows.start("campaign-launch", params, by="tester")
    DBOS.resume_workflow(run_id, queue_name=support.TEST_QUEUE)
    assert workflows.wait(run_id, until=("awaiting_approval", "failed"))["status"] == "awaiting_approval"
    workflows.approve(run_id, by="Dana")
    support.run_next()
    done = workflows.wait(run_id, until=("succeeded", "failed"))
    assert done["status"] == "failed" and "refused the campaign" in str(done["error"])
    statuses = {(c["platform"], c["field"]): c["status"] for c in done["changes"]}
    assert statuses[("meta", "campaign")] == "reverted"  # compensated: left paused
    assert statuses[("meta", "checked_status")] == "reverted"
    assert statuses[("tiktok", "campaign")] == "failed"
    sync()
    meta = _sandbox_campaigns("meta")
    assert list(meta[meta["campaign_name"] == "Compensated launch"]["status"]) == ["PAUSED"]
    assert not (_sandbox_campaigns("tiktok")["campaign_name"] == "Compensated launch").any()
