from datetime import date, timedelta

import numpy as np
import pytest

from adops.connectors import BadRequest, PermissionDenied
from adops.connectors.sandbox import SandboxConnector, World, init_state
from adops.connectors.sandbox.world import RESTATEMENT_DAYS

ANCHOR = date(2026, 11, 24)


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=3, anchor=ANCHOR, campaigns_per_account=(4, 6))


def test_six_platforms_several_accounts_currencies_and_time_zones(world: World) -> None:
    platforms = {a.platform for a in world.accounts}
    assert platforms == {"google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads"}
    for p in platforms:
        accs = [a for a in world.accounts if a.platform == p]
        assert len(accs) >= 2
        assert len({a.currency for a in accs}) >= 2 and len({a.timezone for a in accs}) >= 2


def test_campaign_counts_follow_the_configured_range() -> None:
    big = World(seed=1, anchor=ANCHOR)
    counts = [len(big.campaigns(a.id)) for a in big.accounts]
    assert min(counts) >= 10 and max(counts) <= 60


def test_same_seed_same_numbers_and_windows_agree(world: World) -> None:
    acc = world.accounts[0].id
    a = world.ad_daily(acc, date(2026, 9, 1), date(2026, 11, 1), as_of=ANCHOR)
    b = World(seed=3, anchor=ANCHOR, campaigns_per_account=(4, 6)).ad_daily(
        acc, date(2026, 10, 1), date(2026, 11, 20), as_of=ANCHOR
    )
    both = a.merge(b, on=["ad_id", "date"])
    assert len(both) > 100
    assert np.array_equal(both.spend_x, both.spend_y)
    assert np.array_equal(both.conversions_x, both.conversions_y)
    other = World(seed=4, anchor=ANCHOR, campaigns_per_account=(4, 6)).ad_daily(
        acc, date(2026, 9, 1), date(2026, 11, 1), as_of=ANCHOR
    )
    assert not a["spend"].equals(other["spend"])


def test_campaign_rows_are_the_sums_of_their_ads(world: World) -> None:
    acc = world.accounts[5].id
    ads = world.ad_daily(acc, date(2026, 11, 1), date(2026, 11, 20))
    camps = world.campaign_daily(acc, date(2026, 11, 1), date(2026, 11, 20))
    assert camps["impressions"].sum() == ads["impressions"].sum()
    assert camps["clicks"].sum() == ads["clicks"].sum()
    assert camps["spend"].sum() == pytest.approx(ads["spend"].sum(), abs=0.01 * len(camps))
    assert (camps["clicks"] <= camps["impressions"]).all()


def test_recent_conversions_restate_upwards_then_settle(world: World) -> None:
    acc = world.accounts[1].id
    day = ANCHOR - timedelta(days=1)
    early = world.campaign_daily(acc, day, day, as_of=day + timedelta(days=1))["conversions"].sum()
    later = world.campaign_daily(acc, day, day, as_of=day + timedelta(days=5))["conversions"].sum()
    final = world.campaign_daily(acc, day, day, as_of=day + timedelta(days=RESTATEMENT_DAYS))[
        "conversions"
    ].sum()
    settled = world.campaign_daily(acc, day, day, as_of=day + timedelta(days=40))["conversions"].sum()
    assert early < later < final == settled


def test_truth_is_readable(world: World) -> None:
    assert {e.true_lift for e in world.experiments} >= {0.0, 0.15}
    assert {a.kind for a in world.anomalies} == {"tracking_outage", "spend_spike", "spend_drop"}
    camp = world.campaigns(world.accounts[0].id)[0]
    curve = world.response(camp, np.array([0.0, camp.k, 100 * camp.k]))
    assert curve[0] == 0 and curve[1] == pytest.approx(camp.beta / 2) and curve[2] < camp.beta


def test_injected_anomalies_show_in_the_data(world: World) -> None:
    for anomaly in world.anomalies[:4]:
        rows = world.campaign_daily(
            anomaly.account_id, anomaly.start - timedelta(days=14), anomaly.end, as_of=ANCHOR
        )
        rows = rows[rows.campaign_id == anomaly.campaign_id].set_index("date")
        metric = "spend" if anomaly.kind == "spend_spike" else "conversions"
        hit = rows.loc[str(anomaly.start), metric]
        normal = rows[metric].iloc[:10].median()
        assert (hit > 2.5 * normal) if anomaly.kind == "spend_spike" else (hit < 0.2 * normal)


def test_budget_writes_change_spend_from_today_and_roll_back(workspace) -> None:  # type: ignore[no-untyped-def]
    init_state(seed=3, anchor=ANCHOR, campaigns_per_account=(4, 6))
    client = SandboxConnector("meta")
    acc = [a for a in client.world.accounts if a.platform == "meta"][0]
    camp = client.campaigns(acc.id).query("status == 'ENABLED'").iloc[0]

    def budget() -> float:
        return float(
            SandboxConnector("meta")
            .campaigns(acc.id)
            .set_index("campaign_id")
            .loc[camp.campaign_id, "daily_budget"]
        )

    before = client.set_daily_budget(acc.id, camp.campaign_id, camp.daily_budget * 2)
    assert before == camp.daily_budget and budget() == camp.daily_budget * 2
    # the writing connector sees its own write too (it updates its world in place)
    assert (
        client.campaigns(acc.id).set_index("campaign_id").loc[camp.campaign_id, "daily_budget"] == before * 2
    )
    spend_today = SandboxConnector("meta").campaign_daily(acc.id, ANCHOR, ANCHOR)
    assert spend_today.set_index("campaign_id").loc[camp.campaign_id, "spend"] > camp.daily_budget * 1.1
    client.set_daily_budget(acc.id, camp.campaign_id, before)  # rollback
    assert budget() == camp.daily_budget


def test_pause_and_create_from_template(workspace) -> None:  # type: ignore[no-untyped-def]
    from adops.connectors import CampaignTemplate

    init_state(seed=3, anchor=ANCHOR, campaigns_per_account=(4, 6))
    client = SandboxConnector("tiktok")
    acc = [a for a in client.world.accounts if a.platform == "tiktok"][0]
    camp_id = client.campaigns(acc.id).query("status == 'ENABLED'").iloc[0].campaign_id
    assert client.set_status(acc.id, "campaign", camp_id, "PAUSED") == "ENABLED"
    assert client.campaigns(acc.id).set_index("campaign_id").loc[camp_id, "status"] == "PAUSED"
    assert camp_id not in set(client.campaign_daily(acc.id, ANCHOR, ANCHOR).campaign_id)
    today = SandboxConnector("tiktok").campaign_daily(acc.id, ANCHOR, ANCHOR)
    assert camp_id not in set(today.campaign_id)
    new_id = client.create_campaign(acc.id, CampaignTemplate("Launch test", "conversions", 150.0))
    fresh = SandboxConnector("tiktok")
    assert fresh.campaigns(acc.id).set_index("campaign_id").loc[new_id, "status"] == "PAUSED"
    assert fresh.ads(acc.id).query("campaign_id == @new_id").empty  # its ad groups and ads come next
    with pytest.raises(BadRequest):
        client.set_daily_budget(acc.id, "nope", 10)
    with pytest.raises(PermissionDenied):
        client.campaigns("not-an-account")


def test_create_ad_group_and_ad_paused_then_remove(workspace) -> None:  # type: ignore[no-untyped-def]
    """A launched tree shows in the next read (names, statuses), creation is find-or-create by name,
    and removal takes the ad group's ads with it, once."""
    from adops.connectors import CampaignTemplate
    from adops.connectors.base import AdGroupTemplate, AdTemplate

    init_state(seed=3, anchor=ANCHOR, campaigns_per_account=(4, 6))
    client = SandboxConnector("meta")
    acc = [a for a in client.world.accounts if a.platform == "meta"][0]
    camp = client.create_campaign(acc.id, CampaignTemplate("Tree", "OUTCOME_SALES", 50.0))
    group = client.create_ad_group(acc.id, camp, AdGroupTemplate("Set ✓", "OUTCOME_SALES"))
    assert client.create_ad_group(acc.id, camp, AdGroupTemplate("Set ✓", "OUTCOME_SALES")) == group
    ad_spec = AdTemplate("Ad 1", ("Big sale",), ("Today only",), "https://example.com/x")
    ad = client.create_ad(acc.id, group, ad_spec)
    assert client.create_ad(acc.id, group, ad_spec) == ad
    ads = SandboxConnector("meta").ads(acc.id).set_index("ad_id")
    assert ads.loc[
        ad, ["ad_group_id", "ad_group_name", "campaign_id", "ad_name", "status", "headline"]
    ].tolist() == [group, "Set ✓", camp, "Ad 1", "PAUSED", "Big sale"]
    assert ads.loc[ad, "landing_url"] == "https://example.com/x"
    assert client.set_status(acc.id, "ad", ad, "ENABLED") == "PAUSED"
    assert client.set_status(acc.id, "ad_group", group, "ENABLED") == "PAUSED"  # its own status
    with pytest.raises(BadRequest):
        client.create_ad(acc.id, "no-such-group", ad_spec)
    with pytest.raises(BadRequest):
        client.create_ad(acc.id, group, AdTemplate("No headline", (), (), "https://example.com"))
    with pytest.raises(BadRequest):
        client.create_ad_group(acc.id, "nope", AdGroupTemplate("x", "OUTCOME_SALES"))
    assert client.remove(acc.id, "ad_group", group) == "REMOVED"
    assert client.remove(acc.id, "ad_group", group) == "REMOVED"  # once
    assert client.remove(acc.id, "campaign", camp) == "REMOVED"
    fresh = SandboxConnector("meta")
    assert fresh.ads(acc.id).set_index("ad_id").loc[ad, "status"] == "REMOVED"
    assert fresh.campaigns(acc.id).set_index("campaign_id").loc[camp, "status"] == "REMOVED"
    with pytest.raises(BadRequest, match="removed"):  # nothing more goes into a removed campaign
        fresh.create_ad_group(acc.id, camp, AdGroupTemplate("Set ✓", "OUTCOME_SALES"))
