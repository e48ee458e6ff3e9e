"""Campaign templates: pre-built and custom launches, mapped to each platform and checked before launch.

    from adops import templates
    t = templates.get("black-friday")
    templates.validate(t, "tiktok", currency="EUR")   # [] or one Violation per problem
    templates.structure(t, "linkedin")                # campaign group / campaign / creative
    templates.campaign_template(t, "meta")            # what the connector's create_campaign takes
    templates.ad_group_template(t, "meta")            # ... create_ad_group (the ad set)
    templates.ad_template(t, "meta")                  # ... create_ad

Built-ins (by objective, seasonal, by industry) live in code (`catalogue`); custom ones in the store
(`save`, `delete`). Every platform's names and limits are data in `rules`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from adops.connectors.base import AdGroupTemplate, AdTemplate, CampaignTemplate
from adops.connectors.meta import minor_units
from adops.errors import AdopsError, InputError, NotFound
from adops.templates.catalogue import BUILT_INS
from adops.templates.model import Template, parse
from adops.templates.rules import OBJECTIVES, RULES, PlatformRules
from adops.templates.store import delete, save

__all__ = [
    "OBJECTIVES",
    "RULES",
    "PlatformRules",
    "Template",
    "Violation",
    "ad_group_template",
    "ad_template",
    "campaign_template",
    "catalogue",
    "delete",
    "get",
    "minimum_budget",
    "parse",
    "save",
    "structure",
    "validate",
]


@dataclass(frozen=True)
class Violation:
    """One thing a platform would refuse: which platform, which field, and what to change."""

    platform: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{RULES[self.platform].label}: {self.field}: {self.message}"


def catalogue(category: str | None = None) -> list[Template]:
    """Built-in templates then custom ones, optionally of one category."""
    from adops.templates import store

    found = [*BUILT_INS.values(), *store.custom()]
    return [t for t in found if category in (None, t.category)]


def get(name: str) -> Template:
    """A built-in or custom template by name; NotFound otherwise."""
    from adops.templates import store

    found = BUILT_INS.get(name) or store.find(name)
    if found is None:
        raise NotFound(f"no template named '{name[:64]}' (the Templates page lists them)")
    return found


def minimum_budget(platform: str, objective: str, currency: str) -> float:
    """The platform's smallest daily budget for the objective, in `currency` (ECB rates, rounded up)."""
    return _in_currency(_rules(platform).minimum_usd(objective), currency)


def _in_currency(usd: float, currency: str) -> float:
    if currency == "USD" or usd <= 0:
        return usd
    from adops import clock
    from adops.fx.ecb import EcbRates

    rates = EcbRates.current()
    today = clock.today()
    per_usd = rates.per_euro(currency, today)[0] / rates.per_euro("USD", today)[0]
    unit = minor_units(currency)
    return math.ceil(usd * per_usd * unit) / unit


def validate(
    template: Template, platform: str, currency: str = "USD", *, check_assets: bool = True
) -> list[Violation]:
    """Every way `template` breaks `platform`'s documented limits, one Violation each ([] when fine).

    `check_assets=False` leaves out the references an ad needs besides its text (the sandbox
    simulator has its own Page, pins, identity and posts)."""
    rules = _rules(platform)
    out: list[Violation] = []

    def add(field: str, message: str) -> None:
        out.append(Violation(platform, field, message))

    if rules.objectives.get(template.objective) is None:
        add("objective", f"{rules.label} has no {template.objective.replace('_', ' ')} objective")
    for field, level, limit in zip(
        ("campaign_name", "ad_group_name", "ad_name"), rules.levels, rules.name_max, strict=True
    ):
        value: str = getattr(template, field)
        size = len(value.encode()) if rules.name_in_bytes else len(value)
        if limit is not None and size > limit:
            unit = "bytes (UTF-8)" if rules.name_in_bytes else "characters"
            add(field, f"the {level} name has {size} {unit}; at most {limit}")
    for field, limit in (("headline", rules.headline_max), ("body", rules.body_max)):
        value = getattr(template, field)
        if not value:
            add(field, f"the {rules.levels[2]} needs a {'headline' if field == 'headline' else 'text'}")
        elif limit is not None and len(value) > limit:
            add(field, f"{len(value)} characters; at most {limit}")
    for field, first, (fewest, most), limit, what in (
        # beyond what the ad takes, the extra ones are left out (only responsive search ads take several)
        ("more_headlines", template.headline, rules.headlines, rules.headline_max, "headlines"),
        ("more_descriptions", template.body, rules.descriptions, rules.body_max, "texts"),
    ):
        more: tuple[str, ...] = getattr(template, field)
        count = int(bool(first)) + len(more)
        if count < fewest:
            add(field, f"the {rules.levels[2]} takes {fewest} to {most} {what}; this has {count}: add more")
        for i, value in enumerate(more[: most - 1], start=2):
            if limit is not None and len(value) > limit:
                add(field, f"{what[:-1]} {i} has {len(value)} characters; at most {limit}")
    if check_assets:
        if template.objective in rules.image_ad_objectives:
            kind = rules.objectives.get(template.objective)
            add(
                "assets",
                f"a {kind} campaign's ads take images or an app, not text: a launch creates responsive "
                f"search ads only, so choose another objective for {rules.label} or make that ad there",
            )
        for name in rules.ad_assets:
            if not template.assets.get(f"{platform}.{name}"):
                add("assets", f"the {rules.levels[2]} needs {platform}.{name} ({_ASSET_HELP[name]})")
    if not template.landing_url:
        add("landing_url", f"the {rules.levels[2]} needs a landing page URL")
    try:
        minimum = minimum_budget(platform, template.objective, currency)
    except AdopsError as exc:  # an unknown currency (fx.UnknownCurrency) names itself
        add("daily_budget", f"cannot check the minimum: {exc}")
    else:
        if template.daily_budget < minimum:
            add(
                "daily_budget",
                f"{template.daily_budget:,.2f} {currency} a day is below {rules.label}'s minimum of "
                f"{minimum:,.2f} {currency}",
            )
        if rules.ad_group_min_daily_usd is not None:
            group_minimum = _in_currency(rules.ad_group_min_daily_usd, currency)
            if template.daily_budget < group_minimum:
                add(
                    "daily_budget",
                    f"the {rules.levels[1]}'s {template.daily_budget:,.2f} {currency} a day is below "
                    f"{rules.label}'s minimum of {group_minimum:,.2f} {currency}",
                )
    if template.bid_amount is not None and template.bid_amount > template.daily_budget:
        add("bid_amount", f"the bid {template.bid_amount:,.2f} is above the daily budget")
    return out


def structure(template: Template, platform: str) -> list[dict[str, Any]]:
    """The three levels `template` maps to on `platform`, top first, in the platform's own words.

    A launch creates all three through the connector protocol, paused, then enables them once
    checked. On LinkedIn the campaign is created inside the account's first active campaign group,
    and the campaign is also the creative's ad group (the table's middle row is that campaign).
    """
    rules = _rules(platform)
    group = ad_group_template(template, platform)
    ad = ad_template(template, platform)
    top = {
        "name": template.campaign_name,
        "objective": rules.objectives.get(template.objective),
        "daily_budget": template.daily_budget,
        "bid_amount": template.bid_amount,
        "status": "PAUSED",
        "created": True,
    }
    middle = {
        "level": rules.levels[1],
        "name": group.name,
        "daily_budget": group.daily_budget,
        "bid_amount": group.bid_amount,
        "countries": ", ".join(template.countries),
        "status": "PAUSED",
        "created": True,
    }
    bottom = {
        "level": rules.levels[2],
        "name": ad.name,
        "headline": " | ".join(ad.headlines),
        "text": " | ".join(ad.descriptions),
        "landing_url": ad.landing_url,
        "status": "PAUSED",
        "created": True,
    }
    if platform == "linkedin":
        return [
            {"level": rules.levels[0], "name": "the account's first active campaign group", "created": False},
            {"level": rules.levels[1], **top},
            {**bottom},
        ]
    return [{"level": rules.levels[0], **top}, middle, bottom]


def ad_group_template(template: Template, platform: str) -> AdGroupTemplate:
    """What the platform's connector creates under the campaign (paused): ad group / ad set.

    The budget sits on the campaign; TikTok wants one on the ad group too (the same amount)."""
    rules = _rules(platform)
    objective = rules.objectives.get(template.objective) or ""
    return AdGroupTemplate(
        name=template.ad_group_name,
        objective=objective,
        daily_budget=template.daily_budget if rules.ad_group_min_daily_usd is not None else None,
        bid_amount=template.bid_amount,
        extra={"countries": ",".join(template.countries)},
    )


def ad_template(template: Template, platform: str) -> AdTemplate:
    """What the platform's connector creates in the ad group (paused): the ad and its creative."""
    rules = _rules(platform)
    headlines = tuple(h for h in (template.headline, *template.more_headlines) if h)
    descriptions = tuple(d for d in (template.body, *template.more_descriptions) if d)
    prefix = f"{platform}."
    extra = {k.removeprefix(prefix): v for k, v in template.assets.items() if k.startswith(prefix)}
    return AdTemplate(
        name=template.ad_name,
        headlines=headlines[: rules.headlines[1]],
        descriptions=descriptions[: rules.descriptions[1]],
        landing_url=template.landing_url,
        extra=extra,
    )


#: what each asset an ad may need is, for the violation that asks for it
_ASSET_HELP = {
    "page_id": "the id of the Facebook Page the ad runs as",
    "pin_id": "the id of the organic pin to promote",
    "post": "the URN of the LinkedIn post to sponsor, urn:li:share:… or urn:li:ugcPost:…",
    "identity_id": "the TikTok identity the ad is posted as",
    "video_id": "the id of a video uploaded to the TikTok ad library",
}


def campaign_template(template: Template, platform: str, name: str | None = None) -> CampaignTemplate:
    """What the platform's connector creates (paused): its own objective name and settings."""
    rules = _rules(platform)
    objective = rules.objectives.get(template.objective)
    if objective is None:
        raise InputError(f"{rules.label} has no {template.objective.replace('_', ' ')} objective")
    extra = {"campaign_type": objective} if platform == "microsoft_ads" else {}
    return CampaignTemplate(
        name=name or template.campaign_name,
        objective=objective,
        daily_budget=template.daily_budget,
        bid_amount=template.bid_amount,
        extra=extra,
    )


def _rules(platform: str) -> PlatformRules:
    try:
        return RULES[platform]
    except KeyError:
        raise InputError(f"unknown platform {platform!r} (use one of {', '.join(RULES)})") from None
