"""`campaign-launch` on real accounts (`connector = "api"`) against the Meta and Google Ads fakes:
the plan asks for the assets a real account needs, the approved run creates campaign, ad set / ad
group and ad through the clients, paused then enabled, undo removes them; a refusal at the ad step
removes what the run made."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from adops import store, workflows
from tests.connectors.conftest import serve
from tests.connectors.fakes import google_ads, meta
from tests.jobs import support

pytestmark = pytest.mark.slow


class Fakes:
    def __init__(self, meta_state: meta.MetaState, google: google_ads.FakeGoogleAds) -> None:
        self.meta, self.google = meta_state, google


@pytest.fixture
def fakes(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    state = Fakes(meta.MetaState(currency="EUR"), google_ads.FakeGoogleAds())
    with ExitStack() as stack:
        meta_url = stack.enter_context(serve(meta.make_app(state.meta)))
        google_url = stack.enter_context(serve(google_ads.make_app(state.google)))
        g = state.google
        env = {
            "ADOPS_META_BASE_URL": meta_url,
            "META_TOKEN": state.meta.token,
            "ADOPS_GOOGLE_ADS_BASE_URL": google_url,
            "ADOPS_GOOGLE_ADS_TOKEN_URL": f"{google_url}/token",
            "GADS_ACCESS": g.access_token,
            "GADS_REFRESH": g.refresh_token,
            "GADS_CLIENT_ID": g.client_id,
            "GADS_CLIENT_SECRET": g.client_secret,
            "GADS_DEV_TOKEN": g.developer_token,
            "GADS_LOGIN": google_ads.MANAGER,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        workspace.mkdir(parents=True, exist_ok=True)
        (workspace / "adops.toml").write_text(
            f"""
[[accounts]]
platform = "meta"
id = "{meta.ACCOUNT}"
connector = "api"
[accounts.credentials]
access_token = "env:META_TOKEN"

[[accounts]]
platform = "google_ads"
id = "{google_ads.CLIENT}"
connector = "api"
[accounts.credentials]
access_token = "env:GADS_ACCESS"
refresh_token = "env:GADS_REFRESH"
client_id = "env:GADS_CLIENT_ID"
client_secret = "env:GADS_CLIENT_SECRET"
developer_token = "env:GADS_DEV_TOKEN"
login_customer_id = "env:GADS_LOGIN"
"""
        )
        store.reset()
        support.launch()
        yield state
        support.stop()


def _approved(params: dict[str, Any]) -> dict[str, Any]:
    run_id = workflows.start("campaign-launch", params, by="tester")
    DBOS.resume_workflow(run_id, queue_name=support.TEST_QUEUE)
    waiting = workflows.wait(run_id, until=("awaiting_approval", "failed"))
    assert waiting["status"] == "awaiting_approval", waiting.get("error")
    workflows.approve(run_id, by="Dana")
    support.run_next()
    return workflows.wait(run_id, until=("succeeded", "failed"))


PARAMS = {"template": "conversions", "platforms": ["meta", "google_ads"], "name": "API launch"}


def test_a_real_account_needs_its_assets_before_anything_changes(fakes: Fakes) -> None:
    run_id = workflows.start("campaign-launch", PARAMS, dry_run=True, by="tester")
    support.run(run_id)
    run = workflows.show(run_id)
    assert run["status"] == "failed" and run["changes"] == []
    assert "meta.page_id" in str(run["error"]) and "google_ads" not in str(run["error"])
    assert not any(c["name"] == "API launch" for c in fakes.meta.campaigns.values())


def test_launch_through_the_clients_then_undo(fakes: Fakes) -> None:
    done = _approved({**PARAMS, "assets": {"meta.page_id": "1023456789"}})
    assert done["status"] == "succeeded", done.get("error")
    campaign = next(c for c in fakes.meta.campaigns.values() if c["name"] == "API launch")
    adset = next(s for s in fakes.meta.adsets.values() if s["campaign_id"] == campaign["id"])
    ad = next(a for a in fakes.meta.ads.values() if a["adset_id"] == adset["id"])
    assert (campaign["status"], adset["status"], ad["status"]) == ("ACTIVE", "ACTIVE", "ACTIVE")
    assert adset["name"] == "Lookalike buyers" and ad["creative"]["link_url"] == "https://example.com/shop"
    g_campaign = next(i for i, c in fakes.google.campaigns.items() if c["name"] == "API launch")
    g_group = next(i for i, g in fakes.google.ad_groups.items() if g["campaign"] == g_campaign)
    g_ad = next(a for a in fakes.google.ads.values() if a["ad_group"] == g_group)
    assert fakes.google.campaigns[g_campaign]["status"] == "ENABLED" and g_ad["status"] == "ENABLED"
    assert len(g_ad["headlines"]) == 3  # a responsive search ad

    undo_id = workflows.undo(done["run_id"], by="Dana")
    support.run(undo_id)
    assert workflows.show(done["run_id"])["status"] == "undone"
    assert (campaign["status"], adset["status"], ad["status"]) == ("DELETED", "DELETED", "DELETED")
    assert fakes.google.campaigns[g_campaign]["status"] == "REMOVED"
    assert fakes.google.ad_groups[g_group]["status"] == "REMOVED" and g_ad["status"] == "REMOVED"


def test_a_refused_ad_removes_what_the_run_made(fakes: Fakes) -> None:
    """Meta refuses the Page id at the ad step (it is not a Page's number): the ad set and the
    campaign the run made are deleted again; nothing is left active."""
    done = _approved({**PARAMS, "platforms": ["meta"], "assets": {"meta.page_id": "my-page"}})
    assert done["status"] == "failed" and "must be a valid Page ID" in str(done["error"])
    statuses = [(c["field"], c["status"]) for c in done["changes"]]
    assert statuses[:3] == [("campaign", "reverted"), ("ad_group", "reverted"), ("ad", "failed")]
    campaign = next(c for c in fakes.meta.campaigns.values() if c["name"] == "API launch")
    adset = next(s for s in fakes.meta.adsets.values() if s["campaign_id"] == campaign["id"])
    assert (campaign["status"], adset["status"]) == ("DELETED", "DELETED")
    assert not any(a["adset_id"] == adset["id"] for a in fakes.meta.ads.values())
