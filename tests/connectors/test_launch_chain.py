"""The launch chain against each platform's fake: campaign -> ad group (ad set) -> ad, all paused,
read back by the next sync's reads; a refused field is a clear BadRequest naming the platform's
reason; a lost answer finds the entity instead of making a second; remove takes each level away."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adops.connectors import BadRequest
from adops.connectors.base import AdGroupTemplate, AdTemplate, CampaignTemplate
from tests.connectors.test_create_once import platform

HEADLINES = ("Winter sale ✓", "Free delivery", "Order today")
DESCRIPTIONS = ("Everything for winter, 30% off this week.", "Free returns within 30 days.")

#: platform -> (campaign objective, ad group objective, the ad's assets, the ad group creation's path)
CASES: dict[str, tuple[str, str, dict[str, str], str]] = {
    "google_ads": ("SEARCH", "SEARCH", {}, "adGroups:mutate"),
    "microsoft_ads": ("Search", "Search", {}, "/AdGroups$"),
    "meta": ("OUTCOME_SALES", "OUTCOME_SALES", {"page_id": "1023456789"}, "/adsets"),
    "pinterest": ("WEB_CONVERSION", "WEB_CONVERSION", {"pin_id": "8123456789"}, "/ad_groups"),
    "tiktok": ("TRAFFIC", "TRAFFIC", {"identity_id": "7001", "video_id": "v10033"}, "/adgroup/create/"),
}


def _budget(name: str) -> float | None:
    """The ad group's own budget where the launch gives it one (TikTok); elsewhere the campaign's."""
    return 60.0 if name == "tiktok" else None


def _ad(**changes: Any) -> AdTemplate:
    name, assets = changes.pop("name", "Winter ad"), changes.pop("extra", {})
    values: dict[str, Any] = {
        "headlines": HEADLINES,
        "descriptions": DESCRIPTIONS,
        "landing_url": "https://shop.example.com/winter",
        **changes,
    }
    return AdTemplate(name, values["headlines"], values["descriptions"], values["landing_url"], assets)


def _chain(conn: Any, account: str, name: str) -> tuple[str, str, str]:
    objective, group_objective, assets, _ = CASES[name]
    campaign = conn.create_campaign(account, CampaignTemplate("Winter launch", objective, 60.0))
    group = conn.create_ad_group(
        account,
        campaign,
        AdGroupTemplate("Winter buyers", group_objective, _budget(name), 1.5, {"countries": "US,DE"}),
    )
    ad = conn.create_ad(account, group, _ad(extra=assets))
    return campaign, group, ad


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_chain_is_created_paused_and_read_back(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with platform(name, monkeypatch, "/never") as (conn, account, _):
        campaign, group, ad = _chain(conn, account, name)
        ads = conn.ads(account)
        row = ads[ads["ad_id"].astype(str) == ad].iloc[0]
        assert (str(row["ad_group_id"]), str(row["campaign_id"]), row["status"]) == (
            group,
            campaign,
            "PAUSED",
        )
        assert row["ad_group_name"] == "Winter buyers"
        # find-or-create: the same names under the same parents are the same entities
        objective, group_objective, assets, _ = CASES[name]
        again = AdGroupTemplate("Winter buyers", group_objective, _budget(name), 1.5, {"countries": "US,DE"})
        assert conn.create_ad_group(account, campaign, again) == group
        assert conn.create_ad(account, group, _ad(extra=assets)) == ad
        assert len(conn.ads(account)) == len(ads)
        # checked, then enabled, then undone: paused and removed, newest first
        conn.set_status(account, "ad_group", group, "ENABLED")
        conn.set_status(account, "ad", ad, "ENABLED")
        assert conn.ads(account).set_index("ad_id").loc[ad, "status"] == "ENABLED"
        for entity, entity_id in (("ad", ad), ("ad_group", group), ("campaign", campaign)):
            assert conn.remove(account, entity, entity_id) in ("REMOVED", "DELETED", "ARCHIVED")
            # a removal repeated (after a crash before it was recorded) is done, not an error
            assert conn.remove(account, entity, entity_id) in ("REMOVED", "DELETED", "ARCHIVED")
        campaigns = conn.campaigns(account).set_index("campaign_id")
        if campaign in campaigns.index:  # Microsoft no longer lists a deleted campaign
            assert campaigns.loc[campaign, "status"] in ("REMOVED", "DELETED", "ARCHIVED")
        else:
            assert name == "microsoft_ads"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_lost_answer_finds_the_ad_group_instead_of_making_a_second(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    needle = CASES[name][3]
    with platform(name, monkeypatch, needle) as (conn, account, lost):
        campaign, group, ad = _chain(conn, account, name)
        assert lost.lost == 1
        ads = conn.ads(account)
        assert list(ads[ads["ad_id"].astype(str) == ad]["ad_group_id"].astype(str)) == [group]


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("google_ads", {"headlines": HEADLINES[:2]}, "collectionSizeError.TOO_FEW"),
    ("google_ads", {"descriptions": ("x" * 91, "ok")}, "stringLengthError.TOO_LONG"),
    ("google_ads", {"landing_url": ""}, "fieldError.REQUIRED"),
    ("meta", {"extra": {"page_id": "my-page"}}, "object_story_spec[page_id] must be a valid Page ID"),
    ("meta", {"landing_url": "shop.example.com"}, "must be a valid URL"),
    ("pinterest", {"extra": {"pin_id": "not-a-pin"}}, "pin_id: Pin not-a-pin not found"),
    ("pinterest", {"extra": {"pin_id": "81", "creative_type": "HOLOGRAM"}}, "creative_type: 'HOLOGRAM'"),
    ("pinterest", {"extra": {}}, "needs the organic pin it promotes"),
    ("tiktok", {"descriptions": ("x" * 101,)}, "creatives.ad_text: Length must be between 1 and 100."),
    ("tiktok", {"landing_url": "ftp://shop"}, "creatives.landing_page_url: Not a valid URL."),
    ("tiktok", {"extra": {"identity_id": "7001"}}, "an ad needs tiktok.video_id"),
    ("microsoft_ads", {"headlines": HEADLINES[:2]}, "HeadlinesLessThanMinRequired"),
    ("microsoft_ads", {"descriptions": DESCRIPTIONS[:1]}, "DescriptionsLessThanMinRequired"),
    ("microsoft_ads", {"headlines": ("x" * 31, *HEADLINES)}, "ResponsiveSearchAdInvalidHeadline"),
]


@pytest.mark.parametrize(("name", "changes", "reason"), REFUSALS)
def test_a_refused_ad_is_a_clear_error(
    name: str, changes: dict[str, Any], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with platform(name, monkeypatch, "/never") as (conn, account, _):
        campaign = conn.create_campaign(account, CampaignTemplate("Refused", CASES[name][0], 60.0))
        group = conn.create_ad_group(account, campaign, AdGroupTemplate("G", CASES[name][1], _budget(name)))
        with pytest.raises(BadRequest, match=re.escape(reason)):
            conn.create_ad(account, group, _ad(**{"extra": CASES[name][2], **changes}))
        assert conn.ads(account).query("ad_group_id == @group").empty


def test_google_refuses_a_duplicate_ad_group_name_and_a_search_ad_in_display(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with platform("google_ads", monkeypatch, "/never") as (conn, account, _):
        campaign = conn.create_campaign(account, CampaignTemplate("Display launch", "DISPLAY", 60.0))
        group = conn.create_ad_group(account, campaign, AdGroupTemplate("Display buyers", "DISPLAY"))
        with pytest.raises(BadRequest, match="AD_TYPE_NOT_SUPPORTED_FOR_AD_GROUP_TYPE"):
            conn.create_ad(account, group, _ad())
        with pytest.raises(BadRequest, match="not a numeric id"):
            conn.create_ad_group(account, "1; DROP", AdGroupTemplate("x", "SEARCH"))


def test_tiktok_refuses_an_ad_group_below_its_minimum_and_unknown_countries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with platform("tiktok", monkeypatch, "/never") as (conn, account, _):
        campaign = conn.create_campaign(account, CampaignTemplate("TT launch", "TRAFFIC", 60.0))
        with pytest.raises(BadRequest, match="ad group must be at least 20"):
            conn.create_ad_group(account, campaign, AdGroupTemplate("Low", "TRAFFIC", 10.0))
        with pytest.raises(BadRequest, match="no location id known for ZZ"):
            conn.create_ad_group(
                account, campaign, AdGroupTemplate("Far", "TRAFFIC", 30.0, extra={"countries": "ZZ"})
            )


def test_linkedin_creatives_go_under_the_campaign_and_are_archived(monkeypatch: pytest.MonkeyPatch) -> None:
    """LinkedIn: campaign group / campaign / creative. The campaign is the creative's ad group, so
    there is no ad group to create; a creative sponsors a post; nothing launched can be deleted."""
    assets = {"post": "urn:li:share:7100000000000000001"}
    with platform("linkedin", monkeypatch, "/creatives") as (conn, account, lost):
        campaign = conn.create_campaign(account, CampaignTemplate("LI launch", "WEBSITE_CONVERSION", 60.0))
        with pytest.raises(BadRequest, match="no ad group to create"):
            conn.create_ad_group(account, campaign, AdGroupTemplate("G", "WEBSITE_CONVERSION"))
        creative = conn.create_ad(account, campaign, _ad(extra=assets))
        assert lost.lost == 1  # the answer was lost: found by its name, not made twice
        assert conn.create_ad(account, campaign, _ad(extra=assets)) == creative
        ads = conn.ads(account)
        row = ads[ads["ad_id"] == creative]
        assert row[["ad_group_id", "campaign_id", "ad_name", "status"]].values.tolist() == [
            [campaign, campaign, "Winter ad", "PAUSED"]
        ]
        with pytest.raises(BadRequest, match="needs the post it sponsors"):
            conn.create_ad(account, campaign, _ad(name="No post"))
        with pytest.raises(BadRequest, match="INVALID_VALUE_FOR_FIELD"):
            conn.create_ad(account, campaign, _ad(name="Bad post", extra={"post": "urn:li:share:"}))
        assert conn.remove(account, "ad", creative) == "ARCHIVED"
        assert conn.remove(account, "campaign", campaign) == "ARCHIVED"
        assert conn.ads(account).set_index("ad_id").loc[creative, "status"] == "ARCHIVED"
        assert conn.campaigns(account).set_index("campaign_id").loc[campaign, "status"] == "ARCHIVED"


def test_every_client_and_the_sandbox_offer_the_whole_protocol() -> None:
    """Each real client and the sandbox have every method of `Connector` (a launch calls them all)."""
    from adops.connectors.base import Connector
    from adops.connectors.google_ads import GoogleAdsConnector
    from adops.connectors.linkedin import LinkedInConnector
    from adops.connectors.meta import MetaConnector
    from adops.connectors.microsoft_ads import MicrosoftAdsConnector
    from adops.connectors.pinterest import PinterestConnector
    from adops.connectors.sandbox import SandboxConnector
    from adops.connectors.tiktok import TikTokConnector

    wanted = {n for n in vars(Connector) if not n.startswith("_")} - {"platform"}
    assert {"create_ad_group", "create_ad", "remove"} <= wanted
    classes = [GoogleAdsConnector, LinkedInConnector, MetaConnector, MicrosoftAdsConnector,
               PinterestConnector, SandboxConnector, TikTokConnector]  # fmt: skip
    for cls in classes:
        missing = sorted(n for n in wanted if not callable(getattr(cls, n, None)))
        assert missing == [], (cls.__name__, missing)


GROUP_REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("google_ads", {"name": "x" * 256}, "stringLengthError.TOO_LONG"),
    ("google_ads", {"name": "line\nbreak"}, "stringFormatError.ILLEGAL_CHARS"),
    ("meta", {"name": "x" * 401}, "at most 400 characters"),
    ("meta", {"extra": {"countries": ""}}, "geo_locations"),
    ("microsoft_ads", {"name": "x" * 257}, "CampaignServiceInvalidAdGroupName"),
    ("pinterest", {"extra": {"countries": "usa"}}, "two-letter country codes"),
    ("tiktok", {"name": "x" * 513}, "adgroup_name: Length must be between 1 and 512."),
    ("tiktok", {"daily_budget": 19.99}, "ad group must be at least 20"),
]


@pytest.mark.parametrize(("name", "changes", "reason"), GROUP_REFUSALS)
def test_a_refused_ad_group_is_a_clear_error(
    name: str, changes: dict[str, Any], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names too long or with control characters, no location, a budget under the minimum: each
    refused by the fake as the platform refuses it, surfacing as a BadRequest with its reason."""
    with platform(name, monkeypatch, "/never") as (conn, account, _):
        campaign = conn.create_campaign(account, CampaignTemplate("Group refused", CASES[name][0], 60.0))
        values: dict[str, Any] = {
            "name": "Buyers",
            "objective": CASES[name][1],
            "daily_budget": _budget(name),
            "extra": {"countries": "US"},
            **changes,
        }
        with pytest.raises(BadRequest, match=re.escape(reason)):
            conn.create_ad_group(account, campaign, AdGroupTemplate(**values))
