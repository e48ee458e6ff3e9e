"""Templates: the catalogue, the mapping per platform, each platform's limits, custom ones in the store."""

from __future__ import annotations

from typing import Any

import pytest

from adops import store, templates
from adops.errors import Conflict, InputError, NotFound
from adops.platforms import PLATFORMS


def _data(**changes: Any) -> dict[str, Any]:
    base = templates.get("conversions").model_dump(mode="json")
    base.update(name="my-launch", title="My launch", category="custom")
    base.update(changes)
    return base


def test_the_catalogue_covers_every_objective_season_and_industry() -> None:
    names = {t.name for t in templates.catalogue()}
    assert {"awareness", "traffic", "conversions", "app-installs", "lead-generation"} <= names
    assert {"black-friday", "holiday", "back-to-school"} <= names
    assert {"ecommerce", "saas", "local-services"} <= names
    assert {t.objective for t in templates.catalogue("objective")} == set(templates.OBJECTIVES)


@pytest.mark.parametrize("name", sorted(templates.BUILT_INS))  # no store at collection time
def test_every_built_in_passes_every_platform_it_names_in_usd(name: str) -> None:
    t = templates.get(name)
    for platform in t.platforms:
        assert templates.validate(t, platform, "USD", check_assets=False) == [], (name, platform)
        # what an ad needs besides text is the account's own (a Page, a pin, an identity, a post)
        needs = templates.validate(t, platform, "USD")
        rules = templates.RULES[platform]
        image_ads = int(t.objective in rules.image_ad_objectives)
        assert [v.field for v in needs] == ["assets"] * (len(rules.ad_assets) + image_ads)


def test_display_and_app_campaigns_are_not_launched_with_text_ads_on_real_accounts() -> None:
    awareness = templates.get("awareness")
    for platform in ("google_ads", "microsoft_ads"):
        found = [v.message for v in templates.validate(awareness, platform)]
        assert len(found) == 1 and "responsive search ads only" in found[0]
        assert templates.validate(awareness, platform, check_assets=False) == []  # the sandbox
    assert templates.validate(templates.get("traffic"), "google_ads") == []


def test_objectives_map_to_each_platforms_own_names() -> None:
    t = templates.get("conversions")
    native = {p: templates.campaign_template(t, p).objective for p in PLATFORMS}
    assert native == {
        "google_ads": "SEARCH",
        "meta": "OUTCOME_SALES",
        "pinterest": "WEB_CONVERSION",
        "linkedin": "WEBSITE_CONVERSION",
        "tiktok": "WEB_CONVERSIONS",
        "microsoft_ads": "Search",
    }
    assert templates.campaign_template(t, "microsoft_ads").extra == {"campaign_type": "Search"}


def test_structure_uses_each_platforms_levels() -> None:
    t = templates.get("awareness")
    levels = {p: [lvl["level"] for lvl in templates.structure(t, p)] for p in PLATFORMS}
    assert levels["google_ads"] == ["campaign", "ad group", "ad"]
    assert levels["meta"] == ["campaign", "ad set", "ad"]
    assert levels["pinterest"] == ["campaign", "ad group", "pin promotion"]
    assert levels["linkedin"] == ["campaign group", "campaign", "creative"]
    assert levels["tiktok"] == ["campaign", "ad group", "ad"]
    linkedin = templates.structure(t, "linkedin")
    assert [lvl["created"] for lvl in linkedin] == [False, True, True]  # in the first active group
    assert linkedin[1]["objective"] == "BRAND_AWARENESS" and linkedin[1]["status"] == "PAUSED"
    meta = templates.structure(t, "meta")
    assert [lvl["created"] for lvl in meta] == [True, True, True]
    assert {lvl["status"] for lvl in meta} == {"PAUSED"}
    assert meta[1]["name"] == t.ad_group_name and meta[2]["headline"].startswith(t.headline)


def test_ad_group_and_ad_per_platform() -> None:
    t = templates.parse(_data(assets={"meta.page_id": "123", "tiktok.video_id": "v1"}))
    tiktok = templates.ad_group_template(t, "tiktok")
    assert tiktok.daily_budget == t.daily_budget and tiktok.objective == "WEB_CONVERSIONS"
    assert templates.ad_group_template(t, "meta").daily_budget is None  # the campaign's budget
    assert templates.ad_group_template(t, "meta").extra == {"countries": "US"}
    google = templates.ad_template(t, "google_ads")
    assert google.headlines == (t.headline, *t.more_headlines)
    assert google.descriptions == (t.body, *t.more_descriptions)
    assert templates.ad_template(t, "tiktok").headlines == (t.headline,)  # one text per ad
    assert templates.ad_template(t, "meta").extra == {"page_id": "123"}
    assert templates.ad_template(t, "tiktok").extra == {"video_id": "v1"}
    missing = [v.message for v in templates.validate(t, "tiktok")]
    assert missing == ["the ad needs tiktok.identity_id (the TikTok identity the ad is posted as)"]


def test_responsive_search_ads_take_three_headlines_and_two_texts() -> None:
    t = templates.parse(_data(more_headlines=["Second"], more_descriptions=[]))
    for platform in ("google_ads", "microsoft_ads"):
        found = {v.field: v.message for v in templates.validate(t, platform)}
        assert found["more_headlines"] == "the ad takes 3 to 15 headlines; this has 2: add more"
        assert found["more_descriptions"] == "the ad takes 2 to 4 texts; this has 1: add more"
    long = templates.parse(_data(more_headlines=["x" * 31, "ok"]))
    assert [v.message for v in templates.validate(long, "google_ads")] == [
        "headline 2 has 31 characters; at most 30"
    ]
    assert templates.validate(long, "meta", check_assets=False) == []  # one headline there


def test_tiktok_ad_groups_carry_their_own_minimum() -> None:
    t = templates.parse(_data(daily_budget=60.0))
    assert templates.validate(t, "tiktok", "USD", check_assets=False) == []
    low = templates.validate(templates.parse(_data(daily_budget=15.0)), "tiktok", check_assets=False)
    assert [v.message.split(" a day")[0] for v in low] == ["15.00 USD", "the ad group's 15.00 USD"]


def test_one_message_per_violation_per_platform() -> None:
    t = templates.parse(_data(objective="app_installs", daily_budget=3.0, headline="h" * 40, body=""))
    by_platform = {p: templates.validate(t, p, "USD", check_assets=False) for p in PLATFORMS}
    fields = {p: sorted(v.field for v in vs) for p, vs in by_platform.items()}
    assert fields["linkedin"] == ["body", "daily_budget", "objective"]  # no app installs, 10 USD minimum
    assert fields["pinterest"] == ["body", "objective"]
    assert fields["tiktok"] == ["body", "daily_budget", "daily_budget"]  # 50 USD; its ad group 20
    assert fields["meta"] == ["body", "daily_budget"]  # 40 USD for app installs
    assert fields["google_ads"] == ["body", "headline", "more_descriptions"]  # 30 characters; 2 texts
    assert fields["microsoft_ads"] == ["body", "headline", "more_descriptions"]
    message = str(by_platform["tiktok"][1])
    assert message.startswith("TikTok: daily_budget:") and "50.00 USD" in message


def test_name_lengths_per_platform_and_google_counts_bytes() -> None:
    t = templates.parse(_data(campaign_name="é" * 200))  # 200 characters, 400 UTF-8 bytes
    assert [v.field for v in templates.validate(t, "google_ads")] == ["campaign_name"]
    assert "400 bytes" in templates.validate(t, "google_ads")[0].message
    assert [v.field for v in templates.validate(t, "microsoft_ads")] == ["campaign_name"]  # 128
    assert templates.validate(t, "tiktok", check_assets=False) == []  # 512 characters
    assert templates.validate(t, "meta", check_assets=False) == []


def test_minimums_convert_to_the_account_currency() -> None:
    assert templates.minimum_budget("linkedin", "traffic", "USD") == 10.0
    eur = templates.minimum_budget("linkedin", "traffic", "EUR")
    jpy = templates.minimum_budget("linkedin", "traffic", "JPY")
    assert 5 < eur < 15 and jpy == int(jpy) and jpy > 500
    t = templates.parse(_data(daily_budget=1000.0))
    assert [v.field for v in templates.validate(t, "tiktok", "JPY", check_assets=False)] == [
        "daily_budget",
        "daily_budget",  # the campaign's 50 USD and the ad group's 20 USD
    ]
    unknown = templates.validate(t, "tiktok", "XQQ", check_assets=False)
    assert [v.field for v in unknown] == ["daily_budget"] and "XQQ" in unknown[0].message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"daily_budget": -5}, "daily_budget"),
        ({"daily_budget": 0}, "daily_budget"),
        ({"daily_budget": float("nan")}, "daily_budget"),
        ({"daily_budget": float("inf")}, "daily_budget"),
        ({"bid_amount": -1}, "bid_amount"),
        ({"campaign_name": "x" * 5000}, "campaign_name"),
        ({"campaign_name": ""}, "campaign_name"),
        ({"campaign_name": "line\nbreak"}, "campaign_name"),
        ({"ad_name": "nul\x00"}, "ad_name"),
        ({"headline": "bidi\u202etxt"}, "headline"),
        ({"name": "../../etc/passwd"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"landing_url": "javascript:alert(1)"}, "landing_url"),
        ({"landing_url": "https://ex ample.com"}, "landing_url"),
        ({"platforms": ["myspace"]}, "platforms"),
        ({"platforms": []}, "platforms"),
        ({"objective": "world_domination"}, "objective"),
        ({"more_headlines": ["ok"] * 15}, "more_headlines"),
        ({"more_descriptions": ["tab\there"]}, "more_descriptions"),
        ({"countries": ["USA"]}, "countries"),
        ({"countries": []}, "countries"),
        ({"assets": {"myspace.page": "1"}}, "assets"),
        ({"assets": {"meta.page_id": "1; DROP"}}, "assets"),
        ({"assets": {f"meta.k{i}": "1" for i in range(21)}}, "assets"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_hostile_and_malformed_templates_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError, match=field):
        templates.parse(_data(**changes))


def test_unicode_and_injection_are_kept_as_text() -> None:
    names = ["Été 🎄 セール", "'; DROP TABLE campaign_templates; --", "<script>alert(1)</script>"]
    for i, name in enumerate(names):
        saved = templates.save(_data(name=f"t-{i}", campaign_name=name))
        assert templates.get(saved.name).campaign_name == name
    assert len(templates.catalogue("custom")) == 3


def test_custom_templates_save_replace_and_delete() -> None:
    templates.save(_data(), by="ana")
    with pytest.raises(Conflict, match="exists"):
        templates.save(_data())  # a replayed save does not overwrite silently
    templates.save(_data(daily_budget=99.0), replace=True)
    assert templates.get("my-launch").daily_budget == 99.0
    assert templates.get("my-launch").category == "custom"
    with pytest.raises(Conflict, match="built-in"):
        templates.save(_data(name="black-friday"))
    templates.delete("my-launch")
    with pytest.raises(NotFound):
        templates.get("my-launch")
    with pytest.raises(NotFound):
        templates.delete("my-launch")
    types = [e.type for e in store.events.after(0)]
    assert types.count("template.saved") == 2 and "template.deleted" in types


def test_unknown_platform_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown platform"):
        templates.validate(templates.get("traffic"), "myspace")
