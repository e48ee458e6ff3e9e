"""A deterministic simulator of six ad platforms whose truth is known.

Every number is a pure function of (seed, entity, day): noise comes from a counter-based hash, so
any date window gives the same values for the days it shares with another window. The truth —
response curves, seasonality, creative CTRs and fatigue, experiment lifts, injected anomalies and
the restatement of recent conversions — is readable from Python (`World.truth_*`), so tests can
check that ingestion and analytics recover it.

Model, per campaign and day t:
  spend(t)       = budget(t) · utilisation(t)            (budget regimes change every 4 weeks)
  conversions(t) = season(t) · beta · hill(spend; K, S)   (saturating, S-shaped when S > 1)
  ads split the spend by weight, earn clicks at their own true CTR that fatigues with age, and
  convert at the campaign's rate times their experiment multiplier (binomial noise);
  campaign rows are the sums of their ads. Conversions reported `age` days after the day are
  `final · maturity(age)`, complete after RESTATEMENT_DAYS.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from adops.config import PLATFORM_NAMES, PLATFORMS
from adops.connectors.base import AD_DAILY_COLUMNS, CAMPAIGN_DAILY_COLUMNS

EPOCH = date(2020, 1, 1)
RESTATEMENT_DAYS = 10
BUDGET_REGIME_DAYS = 28
FATIGUE_FLOOR = 0.4
CURRENCY_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "JPY": 0.0067}
#: platforms whose ad x day reports carry reach (Meta Insights `reach`, TikTok `reach`); the others'
#: references give no daily ad-level reach, so the simulator leaves it null for them as they do
REACH_PLATFORMS = ("meta", "tiktok")
#: a fresh ad's daily frequency; it rises by FREQUENCY_RISE as the ad wears (the same decay as its CTR)
FRESH_FREQUENCY = 1.1
FREQUENCY_RISE = 1.6
#: Meta's learning phase ends after about 50 optimisation events in 7 days; fewer: "Learning limited"
LEARNING_EVENTS = 50
LEARNING_DAYS = 7

_PLATFORM_SHAPE = {
    # accounts, (currency, timezone) choices, CPM in USD, CTR range, weekday profile Mon..Sun
    "google_ads": (
        3,
        [("USD", "America/New_York"), ("EUR", "Europe/Berlin"), ("GBP", "Europe/London")],
        9.0,
        (0.02, 0.07),
        [1.0, 1.02, 1.03, 1.02, 0.98, 0.88, 0.9],
    ),
    "meta": (
        3,
        [("USD", "America/Los_Angeles"), ("EUR", "Europe/Paris"), ("AUD", "Australia/Sydney")],
        11.0,
        (0.008, 0.025),
        [0.96, 0.97, 0.98, 1.0, 1.02, 1.05, 1.04],
    ),
    "pinterest": (
        2,
        [("USD", "America/Chicago"), ("CAD", "America/Toronto")],
        6.0,
        (0.004, 0.015),
        [0.95, 0.96, 0.98, 1.0, 1.0, 1.06, 1.08],
    ),
    "linkedin": (
        2,
        [("USD", "America/New_York"), ("GBP", "Europe/London")],
        35.0,
        (0.004, 0.012),
        [1.08, 1.1, 1.1, 1.06, 0.98, 0.62, 0.6],
    ),
    "tiktok": (
        2,
        [("USD", "America/Los_Angeles"), ("JPY", "Asia/Tokyo")],
        7.0,
        (0.006, 0.02),
        [0.97, 0.97, 0.98, 1.0, 1.04, 1.08, 1.06],
    ),
    "microsoft_ads": (
        2,
        [("USD", "America/Denver"), ("EUR", "Europe/Amsterdam")],
        8.0,
        (0.015, 0.05),
        [1.02, 1.03, 1.03, 1.02, 0.97, 0.85, 0.88],
    ),
}
#: typical cost per conversion in USD: B2B leads on LinkedIn cost more
_CPA_USD = {"linkedin": (90.0, 260.0)}
_OBJECTIVES = ["conversions", "sales", "leads", "traffic", "app_installs"]
_WORDS = [
    "Brand",
    "Prospecting",
    "Retargeting",
    "Holiday",
    "Evergreen",
    "Lookalike",
    "Search",
    "Video",
    "Catalog",
    "Awareness",
    "Launch",
    "Promo",
    "Always-on",
    "Competitor",
    "Generic",
]
_HEADLINES = [
    "Save 20% today",
    "Free shipping on every order",
    "New season, new look",
    "Rated 4.8 by 10k buyers",
    "Try it free for 30 days",
    "Limited stock",
    "Built for teams",
    "See why pros switch",
]


@dataclass(frozen=True)
class Account:
    platform: str
    id: str
    name: str
    currency: str
    timezone: str


@dataclass
class Campaign:
    platform: str
    account_id: str
    id: str
    name: str
    objective: str
    budget: float  # daily, account currency
    beta: float  # conversions/day at saturation, before seasonality
    k: float  # half-saturation spend, account currency
    s: float  # Hill shape (>1: S-shaped)
    value_per_conversion: float
    cpm: float
    start: date
    status: str = "ENABLED"
    bid: float | None = None
    index: int = 0


@dataclass
class Ad:
    platform: str
    account_id: str
    campaign_id: str
    ad_group_id: str
    ad_group_name: str
    id: str
    name: str
    headline: str
    ctr: float  # true CTR when new
    fatigue_days: float  # the fatigable part of the CTR decays as exp(-age / fatigue_days)
    weight: float  # share of campaign spend
    launch: date
    cvr_multiplier: float = 1.0
    status: str = "ENABLED"
    index: int = 0
    landing_url: str = ""


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    platform: str
    account_id: str
    campaign_id: str
    control_ad: str
    treatment_ad: str
    true_lift: float  # relative lift in conversion rate per click
    start: date
    end: date


@dataclass(frozen=True)
class Anomaly:
    kind: str  # tracking_outage | spend_spike | spend_drop
    platform: str
    account_id: str
    campaign_id: str
    start: date
    end: date
    factor: float


@dataclass(frozen=True)
class _AdSimulation:
    """One account's simulated ads over a window: (ads, days) matrices, `keep` where an ad spent."""

    account: Account
    ads: list[Ad]
    days: np.ndarray  # datetime64[D]
    keep: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    spend: np.ndarray
    conversions: np.ndarray
    conversion_value: np.ndarray
    #: people reached per ad and day, None where the platform does not report reach
    reach: np.ndarray | None = None

    def reach_cells(self, rows_i: np.ndarray, cols_i: np.ndarray) -> np.ndarray | None:
        return None if self.reach is None else self.reach[rows_i, cols_i].astype(np.int64)

    def columns(
        self, rows_i: np.ndarray, cols_i: np.ndarray, per_ad: Callable[[list[str]], Any]
    ) -> dict[str, Any]:
        """The report's columns for the cells (rows_i, cols_i), in that order: `per_ad` spreads one
        value per ad over the cells; constant strings stay scalars."""

        def cells(matrix: np.ndarray) -> np.ndarray:
            return matrix[rows_i, cols_i]

        acc, ads = self.account, self.ads
        return {
            "date": self.days[cols_i],
            "platform": acc.platform,
            "account_id": acc.id,
            "campaign_id": per_ad([a.campaign_id for a in ads]),
            "ad_group_id": per_ad([a.ad_group_id for a in ads]),
            "ad_id": per_ad([a.id for a in ads]),
            "ad_name": per_ad([a.name for a in ads]),
            "currency": acc.currency,
            "impressions": cells(self.impressions).astype(np.int64),
            "clicks": cells(self.clicks).astype(np.int64),
            "spend": cells(self.spend),
            "conversions": cells(self.conversions),
            "conversion_value": cells(self.conversion_value),
        }


@dataclass
class World:
    """The simulated platforms for one seed, anchored at the demo's build date."""

    seed: int = 7
    anchor: date = field(default_factory=date.today)
    campaigns_per_account: tuple[int, int] = (10, 60)
    accounts_scale: float = 1.0
    budget_overrides: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    status_overrides: dict[str, list[tuple[date, str]]] = field(default_factory=dict)
    bids: dict[str, float] = field(default_factory=dict)
    created: list[dict] = field(default_factory=list)  # campaigns, ad groups, ads launched by the connector
    wasted_campaigns: int = 0  # opt-in: campaigns planted with spend and no conversions (see `wasted`)
    untracked_campaigns: int = 0  # opt-in: Google campaigns planted without conversion tracking (`untracked`)

    # ---------------------------------------------------------------- entities
    @cached_property
    def accounts(self) -> list[Account]:
        out = []
        for p_index, platform in enumerate(PLATFORMS):
            n, choices, *_ = _PLATFORM_SHAPE[platform]
            n = max(1, round(n * self.accounts_scale))
            for i in range(n):
                currency, tz = choices[i % len(choices)]
                out.append(
                    Account(
                        platform,
                        _account_id(platform, p_index, i),
                        f"{PLATFORM_NAMES[platform]} {currency} {i + 1}",
                        currency,
                        tz,
                    )
                )
        return out

    @cached_property
    def _entities(self) -> tuple[dict[str, list[Campaign]], dict[str, list[Ad]]]:
        campaigns: dict[str, list[Campaign]] = {}
        ads: dict[str, list[Ad]] = {}
        c_index = a_index = 0
        for acc in self.accounts:
            rng = np.random.default_rng([self.seed, _stable(acc.platform + acc.id)])
            _, _, cpm_usd, ctr_range, _ = _PLATFORM_SHAPE[acc.platform]
            fx = 1.0 / CURRENCY_USD[acc.currency]
            lo, hi = self.campaigns_per_account
            acc_campaigns, acc_ads = [], []
            for c in range(int(rng.integers(lo, hi + 1))):
                budget_usd = float(np.round(rng.lognormal(np.log(300), 0.8), -1) + 20)
                cpa_usd = float(rng.uniform(*_CPA_USD.get(acc.platform, (15.0, 90.0))))
                camp = Campaign(
                    platform=acc.platform,
                    account_id=acc.id,
                    id=f"{acc.id.removeprefix('act_')}{c + 1:04d}",
                    name=f"{_WORDS[int(rng.integers(len(_WORDS)))]} {_WORDS[int(rng.integers(len(_WORDS)))]} #{c + 1}",
                    objective=_OBJECTIVES[int(rng.integers(len(_OBJECTIVES)))],
                    budget=round(budget_usd * fx, 0 if acc.currency == "JPY" else 2),
                    # at today's budget the campaign sits somewhere on its curve: some saturated, some not
                    k=float(budget_usd * rng.uniform(0.5, 2.2) * fx),
                    s=float(rng.uniform(0.9, 2.2)),
                    beta=0.0,
                    value_per_conversion=float(cpa_usd * rng.uniform(1.5, 5.0) * fx),
                    cpm=float(cpm_usd * rng.uniform(0.7, 1.4) * fx),
                    start=self.anchor - timedelta(days=int(rng.integers(200, 1200))),
                    status="PAUSED" if rng.random() < 0.08 else "ENABLED",
                    index=c_index,
                )
                hill_at_budget = _hill(camp.budget, camp.k, camp.s)
                camp.beta = float(budget_usd / cpa_usd / max(float(hill_at_budget), 0.05))
                c_index += 1
                acc_campaigns.append(camp)
                ctr_lo, ctr_hi = ctr_range
                for g in range(int(rng.integers(1, 4))):
                    group_id = f"{camp.id}{g + 1:02d}"
                    for a in range(int(rng.integers(2, 5))):
                        acc_ads.append(
                            Ad(
                                platform=acc.platform,
                                account_id=acc.id,
                                campaign_id=camp.id,
                                ad_group_id=group_id,
                                ad_group_name=f"{camp.name} / group {g + 1}",
                                id=f"{group_id}{a + 1:03d}",
                                name=f"{camp.name} / ad {g + 1}.{a + 1}",
                                headline=_HEADLINES[int(rng.integers(len(_HEADLINES)))],
                                ctr=float(rng.uniform(ctr_lo, ctr_hi)),
                                fatigue_days=float(rng.uniform(60, 400)),
                                weight=float(rng.uniform(0.5, 1.5)),
                                launch=camp.start + timedelta(days=int(rng.integers(0, 120))),
                                index=a_index,
                            )
                        )
                        a_index += 1
            campaigns[acc.id] = acc_campaigns
            ads[acc.id] = acc_ads
        self._plant_experiments(campaigns, ads)
        for spec in self.created:
            kind = spec.get("kind", "campaign")
            if kind == "campaign":
                self._add_created(spec, campaigns, ads, c_index, a_index)
                c_index, a_index = c_index + 1, a_index + (0 if spec.get("structure") else 2)
            elif kind == "ad":
                self._add_created_ad(spec, campaigns, ads, a_index)
                a_index += 1
        for acc_campaigns in campaigns.values():
            for camp in acc_campaigns:
                camp.bid = self.bids.get(camp.id, camp.bid)
        return campaigns, ads

    def _add_created(
        self,
        spec: dict,
        campaigns: dict[str, list[Campaign]],
        ads: dict[str, list[Ad]],
        c_index: int,
        a_index: int,
    ) -> None:
        """A campaign launched from a template: its hidden curve is drawn from its id."""
        acc = self.account(spec["account_id"])
        rng = np.random.default_rng([self.seed, _stable(spec["id"])])
        fx = 1.0 / CURRENCY_USD[acc.currency]
        _, _, cpm_usd, (ctr_lo, ctr_hi), _ = _PLATFORM_SHAPE[acc.platform]
        start = date.fromisoformat(spec["start"])
        camp = Campaign(
            acc.platform,
            acc.id,
            spec["id"],
            spec["name"],
            spec["objective"],
            float(spec["budget"]),
            beta=0.0,
            k=float(spec["budget"]) * float(rng.uniform(0.6, 1.8)),
            s=float(rng.uniform(1, 2)),
            value_per_conversion=float(rng.uniform(40, 200) * fx),
            cpm=float(cpm_usd * rng.uniform(0.8, 1.3) * fx),
            start=start,
            bid=spec.get("bid"),
            index=c_index,
        )
        camp.beta = float(
            camp.budget / (rng.uniform(20, 80) * fx) / max(float(_hill(camp.budget, camp.k, camp.s)), 0.05)
        )
        campaigns[acc.id].append(camp)
        if spec.get("structure"):  # launched with its own ad groups and ads (`kind` ad_group / ad)
            return
        for i in range(2):
            ads[acc.id].append(
                Ad(
                    acc.platform,
                    acc.id,
                    camp.id,
                    f"{camp.id}01",
                    f"{camp.name} / group 1",
                    f"{camp.id}01{i + 1:03d}",
                    f"{camp.name} / ad 1.{i + 1}",
                    _HEADLINES[i],
                    float(rng.uniform(ctr_lo, ctr_hi)),
                    float(rng.uniform(60, 400)),
                    1.0,
                    start,
                    index=a_index + i,
                )
            )

    def _add_created_ad(
        self, spec: dict, campaigns: dict[str, list[Campaign]], ads: dict[str, list[Ad]], a_index: int
    ) -> None:
        """An ad launched into a created ad group: its true CTR is drawn from its id."""
        acc = self.account(spec["account_id"])
        camp = next((c for c in campaigns[acc.id] if c.id == spec["campaign_id"]), None)
        if camp is None:
            return
        rng = np.random.default_rng([self.seed, _stable(spec["id"])])
        _, _, _, (ctr_lo, ctr_hi), _ = _PLATFORM_SHAPE[acc.platform]
        ads[acc.id].append(
            Ad(
                acc.platform,
                acc.id,
                camp.id,
                spec["ad_group_id"],
                spec["ad_group_name"],
                spec["id"],
                spec["name"],
                spec["headline"],
                float(rng.uniform(ctr_lo, ctr_hi)),
                float(rng.uniform(60, 400)),
                1.0,
                date.fromisoformat(spec["start"]),
                index=a_index,
                landing_url=str(spec.get("landing_url", "")),
            )
        )

    def ad_groups(self, account_id: str) -> list[dict]:
        """Ad groups launched through the connector (the generated ones show only through their ads)."""
        return [s for s in self.created if s.get("kind") == "ad_group" and s["account_id"] == account_id]

    def campaigns(self, account_id: str) -> list[Campaign]:
        return self._entities[0].get(account_id, [])

    def ads(self, account_id: str) -> list[Ad]:
        return self._entities[1].get(account_id, [])

    def account(self, account_id: str) -> Account:
        for acc in self.accounts:
            if acc.id == account_id:
                return acc
        raise KeyError(account_id)

    # ---------------------------------------------------------------- truth
    @cached_property
    def experiments(self) -> list[Experiment]:
        self._entities  # noqa: B018 - planting happens with the entities
        return self._experiments

    @cached_property
    def anomalies(self) -> list[Anomaly]:
        rng = np.random.default_rng([self.seed, 99])
        out = []
        tested = {e.campaign_id for e in self.experiments}
        candidates = [
            c
            for acc in self.accounts
            for c in self.campaigns(acc.id)
            if c.status == "ENABLED" and c.id not in tested
        ]
        picks = rng.choice(len(candidates), size=min(8, len(candidates)), replace=False)
        for n, i in enumerate(picks):
            camp = candidates[int(i)]
            start = self.anchor - timedelta(days=int(rng.integers(12, 80)))
            if n % 2 == 0:
                out.append(
                    Anomaly(
                        "tracking_outage",
                        camp.platform,
                        camp.account_id,
                        camp.id,
                        start,
                        start + timedelta(days=int(rng.integers(0, 2))),
                        0.03,
                    )
                )
            else:
                out.append(Anomaly("spend_spike", camp.platform, camp.account_id, camp.id, start, start, 3.5))
        return out + self._more_anomalies({a.campaign_id for a in out} | tested)

    def _more_anomalies(self, taken: set[str]) -> list[Anomaly]:
        """Spend drops (a declined card, a disapproval: 1-2 days at a fifth) and outages on campaigns
        that convert enough for a zero to be visible. Their own generator: the streams above are
        unchanged, so the anomalies and data that existing seeds give stay as they were."""
        rng = np.random.default_rng([self.seed, 98])
        enabled = [
            c
            for acc in self.accounts
            for c in self.campaigns(acc.id)
            if c.status == "ENABLED" and c.id not in taken and c.start < self.anchor - timedelta(days=120)
        ]
        busy = [c for c in enabled if float(self.response(c, c.budget)) >= 15]
        out = []
        for i in rng.choice(len(enabled), size=min(4, len(enabled)), replace=False):
            camp = enabled[int(i)]
            start = self.anchor - timedelta(days=int(rng.integers(12, 80)))
            end = start + timedelta(days=int(rng.integers(0, 2)))
            out.append(Anomaly("spend_drop", camp.platform, camp.account_id, camp.id, start, end, 0.2))
            taken.add(camp.id)
        busy = [c for c in busy if c.id not in taken]
        for i in rng.choice(len(busy), size=min(3, len(busy)), replace=False):
            camp = busy[int(i)]
            start = self.anchor - timedelta(days=int(rng.integers(12, 80)))
            end = start + timedelta(days=int(rng.integers(0, 2)))
            out.append(Anomaly("tracking_outage", camp.platform, camp.account_id, camp.id, start, end, 0.0))
        return out

    @cached_property
    def wasted(self) -> dict[str, list[tuple[str, date]]]:
        """Per account: campaigns that keep spending but stop converting from a day on (a broken
        conversion action, an audience that does not buy): the truth `wasted_spend` recommendations
        are measured against. Planted only when asked (`wasted_campaigns`, 0 by default) and with
        their own generator, so every other stream, and the truth existing tests read, is unchanged."""
        if self.wasted_campaigns <= 0:
            return {}
        taken = {a.campaign_id for a in self.anomalies} | {e.campaign_id for e in self.experiments}
        pool = [
            c
            for acc in self.accounts
            for c in self.campaigns(acc.id)
            if c.status == "ENABLED" and c.id not in taken and c.start < self.anchor - timedelta(days=90)
        ]
        rng = np.random.default_rng([self.seed, 97])
        out: dict[str, list[tuple[str, date]]] = {}
        for i in rng.choice(len(pool), size=min(self.wasted_campaigns, len(pool)), replace=False):
            camp = pool[int(i)]
            since = self.anchor - timedelta(days=int(rng.integers(40, 70)))
            out.setdefault(camp.account_id, []).append((camp.id, since))
        return out

    @cached_property
    def untracked(self) -> dict[str, list[tuple[str, date]]]:
        """Per Google account: campaigns whose conversion tracking was taken away from a day on (their
        conversion goals name no enabled conversion action any more): they report 0 conversion actions
        and convert nothing from that day, while they keep spending. The truth of the "no conversion
        tracking" check. Planted only when asked (`untracked_campaigns`), with their own generator."""
        if self.untracked_campaigns <= 0:
            return {}
        taken = {a.campaign_id for a in self.anomalies} | {e.campaign_id for e in self.experiments}
        taken |= {c for planted in self.wasted.values() for c, _ in planted}
        pool = [
            c
            for acc in self.accounts
            if acc.platform == "google_ads"
            for c in self.campaigns(acc.id)
            if c.status == "ENABLED" and c.id not in taken and c.start < self.anchor - timedelta(days=90)
        ]
        rng = np.random.default_rng([self.seed, 96])
        out: dict[str, list[tuple[str, date]]] = {}
        for i in rng.choice(len(pool), size=min(self.untracked_campaigns, len(pool)), replace=False):
            camp = pool[int(i)]
            since = self.anchor - timedelta(days=int(rng.integers(30, 60)))
            out.setdefault(camp.account_id, []).append((camp.id, since))
        return out

    def conversion_actions(self, campaign: Campaign, today: date) -> int | None:
        """Enabled conversion actions the campaign counts, as Google Ads reports them (1-3; 0 once its
        tracking is gone, `untracked`); None on the other platforms, which have no such field."""
        if campaign.platform != "google_ads":
            return None
        for campaign_id, since in self.untracked.get(campaign.account_id, []):
            if campaign_id == campaign.id and since <= today:
                return 0
        return 1 + campaign.index % 3

    def learning(self, account_id: str, today: date) -> dict[str, tuple[str, float, float]]:
        """Meta ad sets' learning phase on `today`: ad group id -> (status, optimisation events in the
        last LEARNING_DAYS days, the events expected there). The status is Meta's
        `learning_stage_info.status`, read from the events it counted: LEARNING while the ad set's
        first ad or its campaign's latest budget edit is younger than LEARNING_DAYS, else SUCCESS with
        at least LEARNING_EVENTS events and FAIL ("Learning limited") with fewer. Ad sets that did not
        deliver in those days have no learning phase (left out). Empty off Meta."""
        if self.account(account_id).platform != "meta":
            return {}
        since, until = today - timedelta(days=LEARNING_DAYS), today - timedelta(days=1)
        rows = self.ad_daily(account_id, since, until, as_of=until + timedelta(days=RESTATEMENT_DAYS))
        if rows.empty:
            return {}
        camps = {c.id: c for c in self.campaigns(account_id)}
        mult = {a.id: a.cvr_multiplier for a in self.ads(account_id)}
        days = _days(since, until)
        season = dict(zip(days, self._season(self.account(account_id).platform, days), strict=True))
        campaign = rows["campaign_id"]
        day = pd.to_datetime(rows["date"]).dt.date
        pull = rows["clicks"].to_numpy(dtype=float) * rows["ad_id"].map(mult).to_numpy(dtype=float)
        by = [campaign, rows["date"]]
        spend_c = rows["spend"].groupby(by).transform("sum").to_numpy(dtype=float)
        pull_c = pd.Series(pull, index=rows.index).groupby(by).transform("sum").to_numpy(dtype=float)
        # the campaign's expected conversions that day (its Hill curve at its spend, in season), shared
        # among its ads by clicks x multiplier, as ad_daily shares them (without the binomial noise)
        expected = (
            day.map(season).to_numpy(dtype=float)
            * campaign.map({c: x.beta for c, x in camps.items()}).to_numpy(dtype=float)
            * _hill(
                spend_c,
                campaign.map({c: x.k for c, x in camps.items()}).to_numpy(dtype=float),
                campaign.map({c: x.s for c, x in camps.items()}).to_numpy(dtype=float),
            )
            * pull
            / np.maximum(pull_c, 1e-9)
        )
        stopped = {c: s for planted in (self.wasted, self.untracked) for c, s in planted.get(account_id, [])}
        if stopped:  # planted campaigns convert nothing from their day on
            since_day = campaign.map(stopped)
            expected[(since_day.notna() & (day >= since_day.fillna(date.max))).to_numpy()] = 0.0
        rows = rows.assign(expected=expected)
        groups = (
            rows[rows["spend"] > 0].groupby(["ad_group_id", "campaign_id"])[["conversions", "expected"]].sum()
        )
        launched: dict[str, date] = {}
        for a in self.ads(account_id):
            launched[a.ad_group_id] = min(launched.get(a.ad_group_id, a.launch), a.launch)
        out = {}
        counted, expected = (
            groups["conversions"].to_numpy(dtype=float),
            groups["expected"].to_numpy(dtype=float),
        )
        for (group, campaign_id), events, mean in zip(groups.index, counted, expected, strict=True):
            edits = [d for d, _ in self.budget_overrides.get(campaign_id, []) if d <= today]
            recent = max([launched.get(group, EPOCH), *edits])
            if recent > today - timedelta(days=LEARNING_DAYS):
                status = "LEARNING"
            else:
                status = "SUCCESS" if events >= LEARNING_EVENTS else "FAIL"
            out[str(group)] = (status, float(events), float(mean))
        return out

    def true_frequency(self, account_id: str, ad_id: str, days: Sequence[date]) -> np.ndarray:
        """The ad's expected daily frequency (impressions per person reached) on each day: it rises from
        FRESH_FREQUENCY as the ad wears, with the decay that wears its CTR (no random stream read)."""
        ad = next((a for a in self.ads(account_id) if a.id == ad_id), None)
        if ad is None:
            raise KeyError(ad_id)
        age = np.array([max((d - ad.launch).days, 0) for d in days], dtype=float)
        return FRESH_FREQUENCY + FREQUENCY_RISE * (1 - np.exp(-age / ad.fatigue_days))

    def true_ctr(self, account_id: str, ad_id: str, days: Sequence[date]) -> np.ndarray:
        """The ad's true CTR on each day, fatigue included, before daily noise and seasonality.

        The truth creative-fatigue detection is measured against: the same formula `ad_daily` draws
        clicks from (no random stream is read).
        """
        ad = next((a for a in self.ads(account_id) if a.id == ad_id), None)
        if ad is None:
            raise KeyError(ad_id)
        age = np.array([max((d - ad.launch).days, 0) for d in days], dtype=float)
        return ad.ctr * (FATIGUE_FLOOR + (1 - FATIGUE_FLOOR) * np.exp(-age / ad.fatigue_days))

    def _plant_experiments(self, campaigns: dict[str, list[Campaign]], ads: dict[str, list[Ad]]) -> None:
        """Turn the first ad group of a few high-traffic campaigns into A/B tests with known lifts.

        Tests go where the clicks are (one campaign per account, the busiest accounts first), and the
        two test ads carry most of their campaign's traffic, so a real lift is readable in weeks.
        """
        lifts = [0.15, 0.0, 0.25, -0.12]
        self._experiments: list[Experiment] = []

        def daily_clicks(camp: Campaign) -> float:
            ctr = np.mean([a.ctr for a in ads[camp.account_id] if a.campaign_id == camp.id])
            return float(camp.budget / camp.cpm * 1000 * ctr)

        busiest: dict[str, tuple[float, Campaign]] = {}
        for account_id, account_campaigns in campaigns.items():
            for camp in account_campaigns:
                if camp.status == "ENABLED" and camp.start < self.anchor - timedelta(days=60):
                    score = daily_clicks(camp)
                    if score > busiest.get(account_id, (-1.0, camp))[0]:
                        busiest[account_id] = (score, camp)
        chosen = sorted(busiest.values(), key=lambda item: (-item[0], item[1].id))[: len(lifts)]
        start = self.anchor - timedelta(days=35)
        for n, (lift, (_, camp)) in enumerate(zip(lifts, chosen, strict=False)):
            control, treatment = [a for a in ads[camp.account_id] if a.campaign_id == camp.id][:2]
            control.launch = treatment.launch = min(control.launch, treatment.launch, start)
            control.weight = treatment.weight = 4.0  # the other ads weigh 0.5-1.5
            control.fatigue_days = treatment.fatigue_days = 400.0
            treatment.ctr = control.ctr
            treatment.cvr_multiplier = 1.0 + lift
            self._experiments.append(
                Experiment(
                    id=f"exp-{n + 1}",
                    name=f"{camp.name}: headline test {n + 1}",
                    platform=camp.platform,
                    account_id=camp.account_id,
                    campaign_id=camp.id,
                    control_ad=control.id,
                    treatment_ad=treatment.id,
                    true_lift=lift,
                    start=start,
                    end=self.anchor + timedelta(days=21),
                )
            )

    def response(self, campaign: Campaign, spend: float | np.ndarray) -> np.ndarray:
        """True expected daily conversions at a daily spend, on an average day."""
        return campaign.beta * _hill(np.asarray(spend, dtype=float), campaign.k, campaign.s)

    # ---------------------------------------------------------------- performance
    def ad_daily(self, account_id: str, since: date, until: date, as_of: date | None = None) -> pd.DataFrame:
        """Ad-level daily rows as the platform reports them on `as_of` (default: the account's today)."""
        sim = self._simulate_ads(account_id, since, until, as_of)
        if sim is None:
            return _empty_ad_frame()
        rows_i, cols_i = np.nonzero(sim.keep)  # ad by ad, each ad's days in order
        frame = pd.DataFrame(
            sim.columns(rows_i, cols_i, lambda values: np.array(values, dtype=object)[rows_i])
        )
        reach = sim.reach_cells(rows_i, cols_i)
        frame["reach"] = pd.array([None] * len(frame) if reach is None else reach, dtype="Int64")
        return frame

    def ad_daily_table(
        self, account_id: str, since: date, until: date, as_of: date | None = None
    ) -> pa.Table | None:
        """`ad_daily`'s rows as Arrow, day by day (sorted by date, the ads of a day in `ad_daily`'s
        order), built without pandas: the sync's fast path. None when there are no rows."""
        sim = self._simulate_ads(account_id, since, until, as_of)
        if sim is None or not sim.keep.any():
            return None
        cols_i, rows_i = np.nonzero(sim.keep.T)
        columns = sim.columns(rows_i, cols_i, lambda values: pa.array(values, pa.string()).take(rows_i))
        n = len(rows_i)
        reach = sim.reach_cells(rows_i, cols_i)
        columns["reach"] = pa.nulls(n, pa.int64()) if reach is None else pa.array(reach)
        return pa.table(
            {
                name: pa.repeat(pa.scalar(value, pa.string()), n) if isinstance(value, str) else value
                for name, value in columns.items()
            }
        )

    def _simulate_ads(
        self, account_id: str, since: date, until: date, as_of: date | None
    ) -> _AdSimulation | None:
        """Every ad's (ads, days) matrices of one account's window, as reported on `as_of`."""
        acc = self.account(account_id)
        as_of = as_of or until
        until = min(until, as_of)
        days = _days(since, until)
        ads = self.ads(account_id)
        if len(days) == 0 or not ads:
            return None
        camps = {c.id: c for c in self.campaigns(account_id)}
        t = np.array([(d - EPOCH).days for d in days], dtype=np.int64)
        day_dates = np.array(days, dtype="datetime64[D]")

        camp_list = list(camps.values())
        c_pos = {c.id: i for i, c in enumerate(camp_list)}
        c_idx = np.array([c.index for c in camp_list], dtype=np.int64)
        spend_c = self._campaign_spend(camp_list, days, t, c_idx)  # (C, D)

        ad_c = np.array([c_pos[a.campaign_id] for a in ads])
        a_idx = np.array([a.index for a in ads], dtype=np.int64)
        launch = np.array([(a.launch - EPOCH).days for a in ads], dtype=np.int64)
        live = (launch[:, None] <= t[None, :]) & self._enabled(ads, days)
        weights = np.array([a.weight for a in ads])[:, None] * live
        share = weights / np.maximum(_group_sum(weights, ad_c, len(camp_list))[ad_c], 1e-12)
        spend_a = np.round(spend_c[ad_c] * share, 2)  # cents

        season = self._season(acc.platform, days)  # (D,)
        cpm = np.array([camps[a.campaign_id].cpm for a in ads])[:, None] * (
            1 + 0.08 * _normal(self.seed, 11, a_idx, t)
        )
        impressions = np.floor(spend_a / np.maximum(cpm, 1e-9) * 1000)
        age = (t[None, :] - np.array([(a.launch - EPOCH).days for a in ads])[:, None]).clip(0)
        # fatigue wears a creative down to FATIGUE_FLOOR of its fresh CTR, never to nothing
        decay = np.exp(-age / np.array([a.fatigue_days for a in ads])[:, None])
        ctr = np.array([a.ctr for a in ads])[:, None] * (FATIGUE_FLOOR + (1 - FATIGUE_FLOOR) * decay)
        ctr = ctr * (1 + 0.05 * _normal(self.seed, 12, a_idx, t)).clip(0.5, 1.5) * (0.9 + 0.1 * season)
        clicks = np.minimum(np.round(impressions * ctr), impressions)
        # people reached: impressions over a daily frequency that rises as the ad wears (own stream 16)
        frequency = (FRESH_FREQUENCY + FREQUENCY_RISE * (1 - decay)) * (
            1 + 0.04 * _normal(self.seed, 16, a_idx, t)
        ).clip(0.85, 1.15)
        reach = np.minimum(np.maximum(np.floor(impressions / frequency), impressions > 0), impressions)

        # conversions: the campaign's Hill curve, spread over its ads by clicks x multiplier
        expected_c = (
            season[None, :]
            * np.array([c.beta for c in camp_list])[:, None]
            * _hill(
                spend_c,
                np.array([c.k for c in camp_list])[:, None],
                np.array([c.s for c in camp_list])[:, None],
            )
        )
        mult = np.array([a.cvr_multiplier for a in ads])[:, None]
        pull = clicks * mult
        rate = expected_c / np.maximum(
            _group_sum(pull, ad_c, len(camp_list)), 1e-9
        )  # conversions per weighted click
        p = np.minimum(rate[ad_c] * mult, 0.95)
        conv = _binomial(self.seed, a_idx, t, clicks, p)
        for anomaly in self.anomalies:
            if anomaly.account_id == account_id and anomaly.kind == "tracking_outage":
                rows = ad_c == c_pos[anomaly.campaign_id]
                cols = (day_dates >= np.datetime64(anomaly.start)) & (day_dates <= np.datetime64(anomaly.end))
                conv[np.ix_(rows, cols)] = np.round(conv[np.ix_(rows, cols)] * anomaly.factor)
        for campaign_id, since in self.wasted.get(account_id, []):
            conv[np.ix_(ad_c == c_pos[campaign_id], day_dates >= np.datetime64(since))] = 0
        for campaign_id, since in self.untracked.get(account_id, []):
            conv[np.ix_(ad_c == c_pos[campaign_id], day_dates >= np.datetime64(since))] = 0
        vpc = np.array([camps[a.campaign_id].value_per_conversion for a in ads])[:, None]
        value = np.round(conv * vpc * (1 + 0.1 * _normal(self.seed, 14, a_idx, t)).clip(0.5, 1.5), 2)

        maturity = _maturity(np.array([(as_of - d).days for d in days]))
        conv = np.round(conv * maturity, 2)
        value = np.round(value * maturity, 2)

        reported = reach if acc.platform in REACH_PLATFORMS else None
        return _AdSimulation(
            acc, ads, day_dates, spend_a > 0, impressions, clicks, spend_a, conv, value, reported
        )

    def campaign_daily(
        self, account_id: str, since: date, until: date, as_of: date | None = None
    ) -> pd.DataFrame:
        """Campaign-level daily rows: exactly the sums of the campaign's ads."""
        ads = self.ad_daily(account_id, since, until, as_of)
        if ads.empty:
            return _empty_campaign_frame()
        names = {c.id: c.name for c in self.campaigns(account_id)}
        out = ads.groupby(["date", "platform", "account_id", "campaign_id", "currency"], as_index=False)[
            ["impressions", "clicks", "spend", "conversions", "conversion_value"]
        ].sum()
        out["spend"] = out["spend"].round(2)
        out["conversions"] = out["conversions"].round(2)
        out["conversion_value"] = out["conversion_value"].round(2)
        out.insert(4, "campaign_name", out["campaign_id"].map(names))
        return out

    def fx_rates(self, since: date, until: date, reporting_currency: str = "USD") -> pd.DataFrame:
        """Daily rate to the reporting currency: a small deterministic random walk around a base rate
        (a copy of the table kept per seed and window: every account of a sync asks for the same)."""
        return _fx_rates(self.seed, since, until, reporting_currency).copy()

    # ---------------------------------------------------------------- internals
    def _campaign_spend(
        self, camps: list[Campaign], days: list[date], t: np.ndarray, c_idx: np.ndarray
    ) -> np.ndarray:
        # each campaign changes budget on its own day of the 4-week cycle, as teams do
        offset = (c_idx * 7919 + self.seed)[:, None] % BUDGET_REGIME_DAYS
        block = (t[None, :] + offset) // BUDGET_REGIME_DAYS
        regime = 0.55 + 0.9 * _uniform(self.seed, 1, c_idx, block)  # budgets move between 0.55x and 1.45x
        util = (0.9 + 0.05 * _normal(self.seed, 2, c_idx, t)).clip(0.6, 1.0)
        budget = np.array([c.budget for c in camps])[:, None] * regime
        for i, camp in enumerate(camps):
            for effective, amount in self.budget_overrides.get(camp.id, []):
                budget[i, np.array([d >= effective for d in days])] = amount
        started = np.array([[camp.start <= d for d in days] for camp in camps])
        spend = budget * util * started * self._enabled(camps, days)
        for anomaly in self.anomalies:
            if anomaly.kind in ("spend_spike", "spend_drop"):
                for i, camp in enumerate(camps):
                    if camp.id == anomaly.campaign_id:
                        hit = np.array([anomaly.start <= d <= anomaly.end for d in days])
                        spend[i, hit] *= anomaly.factor
        return np.round(spend, 2)

    def _enabled(self, entities: Sequence[Campaign | Ad], days: list[date]) -> np.ndarray:
        """(entities, days) mask of ENABLED; paused-at-start entities stopped 30 days before the anchor."""
        out = np.ones((len(entities), len(days)), dtype=bool)
        day_arr = np.array(days, dtype="datetime64[D]")
        for i, e in enumerate(entities):
            changes = [(self.anchor - timedelta(days=30), "PAUSED")] if e.status == "PAUSED" else []
            for effective, value in changes + self.status_overrides.get(e.id, []):
                out[i, day_arr >= np.datetime64(effective)] = value == "ENABLED"
        return out

    def _season(self, platform: str, days: list[date]) -> np.ndarray:
        weekday = np.array(_PLATFORM_SHAPE[platform][4])[[d.weekday() for d in days]]
        doy = np.array([d.timetuple().tm_yday for d in days])
        yearly = 1 + 0.12 * np.cos(2 * np.pi * (doy - 350) / 365.25)
        return weekday * yearly * np.array([_holiday(d) for d in days])


@functools.lru_cache(maxsize=8)
def _fx_rates(seed: int, since: date, until: date, reporting_currency: str) -> pd.DataFrame:
    """The simulator's daily rates of every currency to `reporting_currency` (callers copy it)."""
    days = _days(since, until)
    t = np.array([(d - EPOCH).days for d in days], dtype=np.int64)
    rows = []
    for i, (cur, base) in enumerate(sorted(CURRENCY_USD.items())):
        drift = 1 + 0.03 * np.sin(t / 97.0 + i) + 0.004 * _normal(seed, 21, np.array([i]), t)[0]
        usd = base * drift if cur != "USD" else np.ones(len(t))
        rows.append(
            pd.DataFrame({"date": np.array(days, dtype="datetime64[D]"), "currency": cur, "usd": usd})
        )
    frame = pd.concat(rows, ignore_index=True)
    rep = frame[frame.currency == reporting_currency].set_index("date")["usd"]
    frame["rate"] = (frame["usd"] / frame["date"].map(rep)).round(8)
    frame["reporting_currency"] = reporting_currency
    return frame[["date", "currency", "rate", "reporting_currency"]]


def _holiday(d: date) -> float:
    """Holiday demand multipliers: Black Friday, Cyber Monday, the run-up to Christmas, New Year."""
    thanksgiving = date(d.year, 11, 1) + timedelta(days=(3 - date(d.year, 11, 1).weekday()) % 7 + 21)
    if d == thanksgiving + timedelta(days=1):
        return 1.7
    if d == thanksgiving + timedelta(days=4):
        return 1.5
    if thanksgiving + timedelta(days=2) <= d <= thanksgiving + timedelta(days=3):
        return 1.3
    if date(d.year, 12, 15) <= d <= date(d.year, 12, 23):
        return 1.2
    if d in (date(d.year, 12, 25), date(d.year, 1, 1)):
        return 0.7
    return 1.0


def _maturity(age: np.ndarray) -> np.ndarray:
    """Share of a day's final conversions already reported `age` days later."""
    age = np.asarray(age, dtype=float)
    return np.where(age >= RESTATEMENT_DAYS, 1.0, 1 - 0.3 * np.exp(-np.maximum(age, 0) / 2.0))


def _hill(x: np.ndarray | float, k: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
    x = np.maximum(np.asarray(x, dtype=float), 0)
    return x**s / (x**s + np.asarray(k, dtype=float) ** s)


def _mix(seed: int, stream: int, entity: np.ndarray, t: np.ndarray, cells: bool = False) -> np.ndarray:
    """splitmix64 over (seed, stream, entity, day): a counter-based, window-independent hash; every
    (entity, day) pair, or with `cells` the pairs (entity[i], t[i]) (the same values, modulo 2**64)."""
    with np.errstate(over="ignore"):
        ent = entity.astype(np.uint64)
        x = (
            np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
            + np.uint64(stream) * np.uint64(0xBF58476D1CE4E5B9)
            + (ent if cells else ent[:, None]) * np.uint64(0x94D049BB133111EB)
            + t.astype(np.uint64)
        )
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _uniform(seed: int, stream: int, entity: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (_mix(seed, stream, entity, t) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _normal(seed: int, stream: int, entity: np.ndarray, t: np.ndarray) -> np.ndarray:
    u1 = np.maximum(_uniform(seed, stream, entity, t), 1e-12)
    u2 = _uniform(seed, stream + 1000, entity, t)
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


def _cell_normal(seed: int, stream: int, entity: np.ndarray, t: np.ndarray) -> np.ndarray:
    """`_normal(seed, stream, ...)` at the cells (entity[i], t[i]) only."""
    u1 = np.maximum(
        (_mix(seed, stream, entity, t, True) >> np.uint64(11)).astype(np.float64) / float(1 << 53), 1e-12
    )
    u2 = (_mix(seed, stream + 1000, entity, t, True) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


def _binomial(seed: int, entity: np.ndarray, t: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) draws from the counter-based hash: exact quantiles for small means (no rounding
    bias on low-volume campaigns), the normal approximation for large ones."""
    mean = n * p
    small = mean < 25
    out = np.empty_like(mean)
    rows, cols = np.nonzero(~small)  # the normal draws, only where they are used
    if len(rows):
        z = _cell_normal(seed, 13, entity[rows], t[cols])
        big = mean[rows, cols]
        out[rows, cols] = np.round(big + np.sqrt(big * (1 - p[rows, cols])) * z).clip(0)
    if small.any():
        u = _uniform(seed, 15, entity, t)[small]
        out[small] = _binom_ppf(u, n[small], p[small])
    return np.minimum(out, n)


def _binom_ppf(
    u: np.ndarray, n: np.ndarray, p: np.ndarray, tol: float = 1e-9, steps: int = 400
) -> np.ndarray:
    """`scipy.stats.binom.ppf(u, n, p)` for small means, the same integers several times faster: the
    smallest k with cdf(k) >= u, the cdf summed from the pmf's recurrence. Where u lies within `tol`
    of a cdf step (the sum's rounding could decide it), or after `steps` terms, scipy answers."""
    pmf = np.exp(n * np.log1p(-p))  # (1 - p) ** n
    ratio = p / (1 - p)
    cdf, below, k = pmf.copy(), np.zeros_like(u), np.zeros_like(u)
    active = np.nonzero(cdf < u)[0]
    for _ in range(steps):
        active = active[k[active] < n[active]]
        if not active.size:
            break
        a = active
        pmf[a] = pmf[a] * (n[a] - k[a]) / (k[a] + 1) * ratio[a]
        below[a] = cdf[a]
        cdf[a] += pmf[a]
        k[a] += 1
        active = a[cdf[a] < u[a]]
    unsure = (cdf - u < tol) | (u - below < tol)
    unsure[active] = True
    if unsure.any():
        k[unsure] = stats.binom.ppf(u[unsure], n[unsure], p[unsure])
    return k


def _group_sum(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, values.shape[1]))
    np.add.at(out, groups, values)
    return out


def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def _account_id(platform: str, p_index: int, i: int) -> str:
    """Unique per platform and index; the first 100 per platform keep their ids, later ones (a
    scaled-up world) get their own range instead of running into the next platform's."""
    base = (
        1000000000 + p_index * 100000 + i * 1000 + 7
        if i < 100
        else 2000000000 + p_index * 10000000 + i * 10 + 7
    )
    return {"meta": f"act_{base}", "google_ads": str(base)}.get(platform, str(base))


def _empty_ad_frame() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in AD_DAILY_COLUMNS})


def _empty_campaign_frame() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in CAMPAIGN_DAILY_COLUMNS})
