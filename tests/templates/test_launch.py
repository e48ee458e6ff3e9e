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


def _sandbox_ads(platform: str) -> Any:
    from adops import warehouse

    return warehouse.query(
        "SELECT campaign_id, ad_group_id, ad_group_name, ad_id, ad_name, status, headline, landing_url "
        "FROM ads WHERE platform = ?",
        [platform],
    )


def test_launch_dry_run_approve_sync_and_undo(demo_copy: Path) -> None:
    """The whole tree: campaign, ad group (ad set), ad, created paused, enabled once checked, shown by
    a later sync; undo removes them, newest first."""
    from adops.ingest import sync

    params = {"template": "black-friday", "platforms": ["meta", "google_ads"], "name": "BF launch – test ✓"}
    dry = _run("campaign-launch", params, dry_run=True)
    assert dry["status"] == "succeeded" and dry["dry_run"]
    fields = [(c["platform"], c["entity_type"], c["field"], c["before"]) for c in dry["changes"]]
    per_account = [
        ("campaign", "campaign", None),
        ("ad_group", "ad_group", None),
        ("ad", "ad", None),
        ("ad_group", "checked_status", "PAUSED"),
        ("ad", "checked_status", "PAUSED"),
        ("campaign", "checked_status", "PAUSED"),
    ]
    assert fields == [("meta", *f) for f in per_account] + [("google_ads", *f) for f in per_account]
    created = {(c["platform"], c["field"]): c["after"] for c in dry["changes"]}
    assert created[("meta", "campaign")]["objective"] == "OUTCOME_SALES"
    assert created[("meta", "ad_group")]["name"] == "Past buyers and lookalikes"
    assert created[("google_ads", "ad")]["headlines"][:1] == ["Black Friday: up to 40% off"]
    assert len(created[("google_ads", "ad")]["headlines"]) >= 3  # a responsive search ad
    sync()
    assert not (_sandbox_campaigns("meta")["campaign_name"] == "BF launch – test ✓").any()  # no side effect

    run_id = workflows.start("campaign-launch", params, by="tester")
    DBOS.resume_workflow(run_id, queue_name=support.TEST_QUEUE)  # runs in the kept launch
    waiting = workflows.wait(run_id, until=("awaiting_approval", "failed"))
    assert waiting["status"] == "awaiting_approval" and waiting["changes"][0]["field"] == "campaign"
    sync()
    assert not (_sandbox_campaigns("meta")["campaign_name"] == "BF launch – test ✓").any()
    workflows.approve(run_id, by="Dana")
    support.run_next()  # what the approval queued, if it queued a job (else the run itself goes on)
    done = workflows.wait(run_id, until=("succeeded", "failed"))
    assert done["status"] == "succeeded", done
    assert {c["status"] for c in done["changes"]} == {"applied"}
    sync()
    new = _sandbox_campaigns("meta")
    new = new[new["campaign_name"] == "BF launch – test ✓"]
    assert list(new["status"]) == ["ENABLED"] and float(new["daily_budget"].iloc[0]) == 150.0
    ads = _sandbox_ads("meta")
    ads = ads[ads["campaign_id"] == new["campaign_id"].iloc[0]]
    assert ads[["ad_group_name", "ad_name", "status", "headline"]].values.tolist() == [
        ["Past buyers and lookalikes", "Black Friday deals", "ENABLED", "Black Friday: up to 40% off"]
    ]
    assert ads["landing_url"].iloc[0] == "https://example.com/black-friday"

    undo_id = workflows.undo(run_id, by="Dana")
    support.run(undo_id)
    assert workflows.show(run_id)["status"] == "undone"
    sync()
    after = _sandbox_campaigns("google_ads")
    after = after[after["campaign_name"] == "BF launch – test ✓"]
    assert list(after["status"]) == ["REMOVED"]
    gone = _sandbox_ads("google_ads")
    assert list(gone[gone["campaign_id"] == after["campaign_id"].iloc[0]]["status"]) == ["REMOVED"]


def test_a_launch_can_leave_everything_paused(demo_copy: Path) -> None:
    """enable=false: the three creations only; a later sync shows the tree there, paused."""
    from adops.ingest import sync

    params = {"template": "traffic", "platforms": ["tiktok"], "enable": False}
    dry = _run("campaign-launch", params, dry_run=True)
    assert [c["field"] for c in dry["changes"]] == ["campaign", "ad_group", "ad"]
    assert dry["changes"][1]["after"]["daily_budget"] == 60.0  # TikTok budgets its ad groups too
    run_id = workflows.start("campaign-launch", params, by="tester")
    DBOS.resume_workflow(run_id, queue_name=support.TEST_QUEUE)
    assert workflows.wait(run_id, until=("awaiting_approval", "failed"))["status"] == "awaiting_approval"
    workflows.approve(run_id, by="Dana")
    support.run_next()
    assert workflows.wait(run_id, until=("succeeded", "failed"))["status"] == "succeeded"
    sync()
    campaigns = _sandbox_campaigns("tiktok")
    new = campaigns[campaigns["campaign_name"] == "Traffic - landing page"]
    assert list(new["status"]) == ["PAUSED"]
    ads = _sandbox_ads("tiktok")
    ads = ads[ads["campaign_id"] == new["campaign_id"].iloc[0]]
    assert ads[["ad_group_name", "ad_name", "status"]].values.tolist() == [
        ["Interest audience", "Visit the site", "PAUSED"]
    ]


def test_linkedin_creatives_go_straight_under_the_campaign(demo_copy: Path) -> None:
    dry = _run("campaign-launch", {"template": "saas", "platforms": ["linkedin"]}, dry_run=True)
    changes = dry["changes"]
    assert [(c["entity_type"], c["field"]) for c in changes] == [
        ("campaign", "campaign"),
        ("ad", "ad"),
        ("ad", "checked_status"),
        ("campaign", "checked_status"),
    ]
    assert changes[1]["entity_id"] == "@" + changes[0]["key"]


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
        {"template": "black-friday", "assets": {"myspace.page": "1"}},
        {"template": "black-friday", "assets": {"meta.page_id": "1; DROP TABLE"}},
        {"template": "black-friday", "assets": {f"meta.k{i}": "1" for i in range(21)}},
        {"template": "black-friday", "assets": "meta.page_id=1"},
    ],
)
def test_bad_launch_params_are_refused_before_a_run(params: dict[str, Any], workspace: Path) -> None:
    with pytest.raises(InputError):
        workflows.start("campaign-launch", params, by="tester")


def test_a_failure_at_the_ad_step_removes_what_the_run_made(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second account's ad is refused: its ad group and campaign, and everything of the first
    account (enabled already), are compensated newest first: paused, then removed."""
    from adops.connectors.errors import BadRequest
    from adops.connectors.sandbox.connector import SandboxConnector
    from adops.ingest import sync

    real = SandboxConnector.create_ad

    def refuse_on_tiktok(self: SandboxConnector, account_id: str, group: str, template: Any) -> str:
        if self.platform == "tiktok":
            raise BadRequest("tiktok: the platform refused the ad (test)")
        return real(self, account_id, group, template)

    monkeypatch.setattr(SandboxConnector, "create_ad", refuse_on_tiktok)
    params = {"template": "holiday", "platforms": ["meta", "tiktok"], "name": "Compensated launch"}
    run_id = workflows.start("campaign-launch", params, by="tester")
    DBOS.resume_workflow(run_id, queue_name=support.TEST_QUEUE)
    assert workflows.wait(run_id, until=("awaiting_approval", "failed"))["status"] == "awaiting_approval"
    workflows.approve(run_id, by="Dana")
    support.run_next()
    done = workflows.wait(run_id, until=("succeeded", "failed"))
    assert done["status"] == "failed" and "refused the ad" in str(done["error"])
    statuses = [(c["platform"], c["entity_type"], c["field"], c["status"]) for c in done["changes"]]
    assert statuses[:6] == [
        ("meta", t, f, "reverted")
        for t, f in [
            ("campaign", "campaign"),
            ("ad_group", "ad_group"),
            ("ad", "ad"),
            ("ad_group", "checked_status"),
            ("ad", "checked_status"),
            ("campaign", "checked_status"),
        ]
    ]
    assert statuses[6:9] == [
        ("tiktok", "campaign", "campaign", "reverted"),
        ("tiktok", "ad_group", "ad_group", "reverted"),
        ("tiktok", "ad", "ad", "failed"),
    ]
    assert {s[3] for s in statuses[9:]} == {"planned"}
    sync()
    for platform in ("meta", "tiktok"):
        campaigns = _sandbox_campaigns(platform)
        assert list(campaigns[campaigns["campaign_name"] == "Compensated launch"]["status"]) == ["REMOVED"]
    meta_ads = _sandbox_ads("meta")
    assert set(meta_ads[meta_ads["ad_name"] == "Holiday gift guide"]["status"]) == {"REMOVED"}
