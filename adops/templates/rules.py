"""Each platform's campaign structure, objective names and documented limits, as data.

A template is written once in our words (objective `conversions`, a daily budget, names and ad
text); these rules say what it becomes on each platform and what the platform refuses. Minimum
budgets are kept in US dollars, as the platforms publish them, and converted to the account's
currency with the ECB's reference rates when a template is checked (`adops.templates.validate`).

Sources (each platform's reference): Google Ads API `Campaign.name` / `AdGroup.name` (1-255 UTF-8
bytes, no NUL, LF or CR), `ResponsiveSearchAdInfo` (3-15 headlines of 30, 2-4 descriptions of 90 characters);
Meta Marketing API `minimum_budgets` (impressions, high- and low-frequency minimums: 1, 5 and 40 USD
a day) and its OUTCOME_* objectives; Pinterest API v5 `ObjectiveType`; LinkedIn Marketing API
`adCampaigns` (objectiveType, daily budget at least 10 USD, sponsored content headline 200 and
introductory text 600 characters); TikTok Marketing API v1.3 campaign/adgroup/ad create
(names up to 512 characters, campaign daily budget at least 50 USD, ad group daily budget at least
20 USD, ad text 1-100 characters, an identity and a video or images per ad);
Microsoft Advertising Campaign Management `Campaign.Name` (128 characters), `AdGroup.Name`
(256) and `ResponsiveSearchAd` (3-15 headlines of 30, 2-4 descriptions of 90 characters). An ad
needs, besides text: a Facebook Page on Meta (`object_story_spec.page_id`), an existing pin on
Pinterest (`pin_id`), a post on LinkedIn (`content.reference`), an identity and a video on TikTok.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: our objectives, in the order the catalogue shows them
OBJECTIVES = ("awareness", "traffic", "conversions", "app_installs", "lead_generation")


@dataclass(frozen=True)
class PlatformRules:
    """What a template must satisfy on one platform, and the names it takes there."""

    platform: str
    label: str
    #: the three levels of a launch, top first (campaign, its ad group/ad set, its ad)
    levels: tuple[str, str, str]
    #: our objective -> the platform's objective (None: the platform has no such objective)
    objectives: dict[str, str | None]
    #: the most characters a name may have at each level (None: no documented limit)
    name_max: tuple[int | None, int | None, int | None]
    headline_max: int | None
    body_max: int | None
    #: the smallest daily budget, in USD, per objective ("*" for every other objective)
    min_daily_usd: dict[str, float] = field(default_factory=dict)
    #: names are limited in UTF-8 bytes rather than characters (Google Ads)
    name_in_bytes: bool = False
    #: how many headlines and texts the ad takes, fewest and most (a responsive search ad: 3-15, 2-4)
    headlines: tuple[int, int] = (1, 1)
    descriptions: tuple[int, int] = (1, 1)
    #: the ad group's own smallest daily budget in USD, where the ad group carries a budget (TikTok)
    ad_group_min_daily_usd: float | None = None
    #: the references an ad needs besides its text (`Template.assets` keys, without the platform)
    ad_assets: tuple[str, ...] = ()
    #: objectives whose ads are not text ads (display and app campaigns take image or app ads),
    #: which a launch does not create on a real account
    image_ad_objectives: tuple[str, ...] = ()

    def minimum_usd(self, objective: str) -> float:
        return self.min_daily_usd.get(objective, self.min_daily_usd.get("*", 0.0))


RULES: dict[str, PlatformRules] = {
    "google_ads": PlatformRules(
        platform="google_ads",
        label="Google Ads",
        levels=("campaign", "ad group", "ad"),
        objectives={
            "awareness": "DISPLAY",
            "traffic": "SEARCH",
            "conversions": "SEARCH",
            "app_installs": "MULTI_CHANNEL",
            "lead_generation": "SEARCH",
        },
        name_max=(255, 255, 255),
        headline_max=30,
        body_max=90,
        min_daily_usd={"*": 0.01},
        name_in_bytes=True,
        headlines=(3, 15),
        descriptions=(2, 4),
        image_ad_objectives=("awareness", "app_installs"),
    ),
    "meta": PlatformRules(
        platform="meta",
        label="Meta",
        levels=("campaign", "ad set", "ad"),
        objectives={
            "awareness": "OUTCOME_AWARENESS",
            "traffic": "OUTCOME_TRAFFIC",
            "conversions": "OUTCOME_SALES",
            "app_installs": "OUTCOME_APP_PROMOTION",
            "lead_generation": "OUTCOME_LEADS",
        },
        name_max=(400, 400, 400),
        headline_max=255,
        body_max=None,
        min_daily_usd={"awareness": 1.0, "app_installs": 40.0, "*": 5.0},
        ad_assets=("page_id",),
    ),
    "pinterest": PlatformRules(
        platform="pinterest",
        label="Pinterest",
        levels=("campaign", "ad group", "pin promotion"),
        objectives={
            "awareness": "AWARENESS",
            "traffic": "CONSIDERATION",
            "conversions": "WEB_CONVERSION",
            "app_installs": None,
            "lead_generation": None,
        },
        name_max=(None, None, None),
        headline_max=100,
        body_max=500,
        min_daily_usd={"*": 0.01},
        ad_assets=("pin_id",),
    ),
    "linkedin": PlatformRules(
        platform="linkedin",
        label="LinkedIn",
        levels=("campaign group", "campaign", "creative"),
        objectives={
            "awareness": "BRAND_AWARENESS",
            "traffic": "WEBSITE_VISIT",
            "conversions": "WEBSITE_CONVERSION",
            "app_installs": None,
            "lead_generation": "LEAD_GENERATION",
        },
        name_max=(255, 255, 255),
        headline_max=200,
        body_max=600,
        min_daily_usd={"*": 10.0},
        ad_assets=("post",),
    ),
    "tiktok": PlatformRules(
        platform="tiktok",
        label="TikTok",
        levels=("campaign", "ad group", "ad"),
        objectives={
            "awareness": "REACH",
            "traffic": "TRAFFIC",
            "conversions": "WEB_CONVERSIONS",
            "app_installs": "APP_PROMOTION",
            "lead_generation": "LEAD_GENERATION",
        },
        name_max=(512, 512, 512),
        headline_max=None,
        body_max=100,
        min_daily_usd={"*": 50.0},
        ad_group_min_daily_usd=20.0,
        ad_assets=("identity_id", "video_id"),
    ),
    "microsoft_ads": PlatformRules(
        platform="microsoft_ads",
        label="Microsoft Advertising",
        levels=("campaign", "ad group", "ad"),
        objectives={
            "awareness": "Audience",
            "traffic": "Search",
            "conversions": "Search",
            "app_installs": "App",
            "lead_generation": "Search",
        },
        name_max=(128, 256, None),
        headline_max=30,
        body_max=90,
        min_daily_usd={"*": 0.01},
        headlines=(3, 15),
        descriptions=(2, 4),
        image_ad_objectives=("awareness", "app_installs"),
    ),
}
