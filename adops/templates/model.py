"""A campaign template: one launch written once, in our words, for any of the six platforms.

The model checks what holds everywhere (sizes, characters, a real URL, a positive budget); what each
platform refuses is `adops.templates.validate`'s job, one message per violation.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adops.errors import InputError
from adops.platforms import PLATFORMS
from adops.templates.rules import OBJECTIVES

Category = Literal["objective", "seasonal", "industry", "custom"]
Objective = Literal["awareness", "traffic", "conversions", "app_installs", "lead_generation"]
assert set(OBJECTIVES) == set(Objective.__args__)  # type: ignore[attr-defined]

#: the longest text any field takes (every platform's limit is below it); longer is refused at once
MAX_TEXT = 1000
MAX_BUDGET = 10_000_000.0
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class Template(BaseModel):
    """What a launch needs on every platform: objective, budget, names and the ad's text and link."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="the template's key (a slug)")
    title: str = Field(min_length=1, max_length=120)
    category: Category = "custom"
    description: Text = ""
    objective: Objective
    daily_budget: float = Field(gt=0, le=MAX_BUDGET, description="in the account's currency")
    bid_amount: float | None = Field(default=None, gt=0, le=MAX_BUDGET)
    campaign_name: Text = Field(min_length=1)
    ad_group_name: Text = Field(min_length=1)
    ad_name: Text = Field(min_length=1)
    headline: Text = ""
    body: Text = ""
    landing_url: str = Field(default="", max_length=2048)
    platforms: tuple[str, ...] = PLATFORMS
    more_headlines: Annotated[tuple[Text, ...], Field(max_length=14)] = Field(
        default=(), description="headlines after the first (a responsive search ad takes 3 to 15)"
    )
    more_descriptions: Annotated[tuple[Text, ...], Field(max_length=3)] = Field(
        default=(), description="texts after the first (a responsive search ad takes 2 to 4)"
    )
    countries: Annotated[tuple[str, ...], Field(min_length=1, max_length=50)] = Field(
        default=("US",), description="where the ad group targets (ISO 3166 two-letter codes)"
    )
    assets: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict,
        description="platform.reference -> id: what an ad needs besides text (meta.page_id, "
        "pinterest.pin_id, linkedin.post, tiktok.identity_id, tiktok.video_id)",
    )

    @field_validator("daily_budget", "bid_amount")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("title", "description", "campaign_name", "ad_group_name", "ad_name", "headline", "body")
    @classmethod
    def _printable(cls, value: str) -> str:
        return _printable(value)

    @field_validator("more_headlines", "more_descriptions")
    @classmethod
    def _texts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_printable(v) for v in value if v.strip())

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> Any:
        items = [value] if isinstance(value, str) else list(value or [])
        out = [str(c).strip().upper() for c in items]
        bad = [c for c in out if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"{bad[0][:10]!r} is not a two-letter country code")
        return tuple(dict.fromkeys(out))

    @field_validator("assets")
    @classmethod
    def _assets(cls, value: dict[str, str]) -> dict[str, str]:
        return check_assets(value)

    @field_validator("landing_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s<>\"]*)?", value):
            raise ValueError("must be an http(s) URL with a host name and no spaces")
        return value

    @field_validator("platforms", mode="before")
    @classmethod
    def _platforms(cls, value: Any) -> Any:
        items = [value] if isinstance(value, str) else list(value or [])
        unknown = [p for p in items if p not in PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform {unknown[0]!r} (use {', '.join(PLATFORMS)})")
        if not items:
            raise ValueError("name at least one platform")
        return tuple(dict.fromkeys(items))


def check_assets(value: dict[str, str]) -> dict[str, str]:
    """`platform.reference -> id` pairs: a known platform, a lowercase reference, a plain id."""
    if len(value) > 20:
        raise ValueError("at most 20 assets")
    for key, ref in value.items():
        platform, _, name = key.partition(".")
        if platform not in PLATFORMS or not re.fullmatch(r"[a-z_]{1,40}", name):
            raise ValueError(f"asset {key[:60]!r}: write platform.reference (meta.page_id)")
        if not re.fullmatch(r"[A-Za-z0-9_:.\-]{1,200}", ref):
            raise ValueError(f"asset {key}: an id of letters, digits and _:.- only")
    return value


def _printable(value: str) -> str:
    """Unicode is welcome; control characters are not (Google Ads refuses NUL, LF and CR in names)."""
    value = unicodedata.normalize("NFC", value)
    bad = [c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c != "\u200d"]
    if bad:
        raise ValueError(f"contains a control character (U+{ord(bad[0]):04X})")
    return value


def parse(data: dict[str, Any]) -> Template:
    """A template from plain data; InputError naming every field that is wrong."""
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'template'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(f"template: {problems}") from None
