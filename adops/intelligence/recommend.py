"""What to do next, with why: recommendations read from the warehouse, each with its evidence.

Every recommendation names the entity, the numbers and the window it rests on (`evidence`), what
it is expected to change with an interval (`expected_impact`: metric, delta over the follow-up
window, low, high), a confidence, and the workflow with params that applies it. Kinds:

- `wasted_spend`: a campaign that spent at least twice the account's CPA over the window and clicked
  enough that, converting at even half the account's rate, a zero would be unlikely (confidence
  >= 0.95), with no conversion. Pause it (workflow `bulk`, action pause). A campaign that counts no
  conversion action (Google Ads `conversion_actions` 0) is left to the `no_conversion_tracking`
  check instead: its zero is not measured, and pausing it would be the wrong fix.
- `budget_limited`: a campaign spending at least 85% of its daily budget while its marginal CPA
  (its CPA over its spend elasticity, the elasticity from a log-log fit over its history, whose
  budget changes move its spend) is below the account's CPA even at the fit's pessimistic bound.
  Raise its budget 20% (`bulk`, action budget).
- `budget_reallocation`: a campaign whose marginal CPA is above 2x the account's CPA, and above 1.5x
  even at the optimistic bound, in an account with a budget-limited campaign: lower its budget 20%; the
  evidence names where the money works better.
- `creative_fatigue`: an ad the analysis page's detector (`adops.analytics.fatigue`) judges fatigued.
  Pause it so its siblings take its impressions (`bulk`, pause the ad).
- `creative_winner`: in an ad group, an ad whose CTR beats a sibling's by 20% or more with a two-sided
  p below 0.001 (Bonferroni over the group's pairs): pause the loser.
- `platform_selection`: where the next unit of budget works best across platforms (each platform's
  marginal CPA from its campaigns' fits): move 10% of the worst platform's budgets when the best
  one's pessimistic bound beats the worst one's optimistic bound.
- `best_practice`: a running campaign with one enabled ad only (nothing to rotate or learn from);
  an enabled campaign with a budget and no spend for the last 7 days (not delivering); a Google Ads
  campaign that spends while counting no enabled conversion action (`campaigns.conversion_actions`
  = 0: no conversion tracking, so conversion bidding and every CPA here are blind); a Meta ad set
  that spends while Meta reports it "Learning limited" (`ads.ad_group_learning_stage` = FAIL: fewer
  than ~50 optimisation events a week, so delivery stays unstable; the evidence says whether its
  campaign's ad sets together would pass 50 if consolidated).

The window ends `LAG_DAYS` before the warehouse's last day, so conversions still restating do
not read as missing. Pure reads: recommending never writes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from adops import warehouse
from adops.config import PLATFORM_NAMES

WINDOW_DAYS = 28
HISTORY_DAYS = 120
#: the fits leave out the window's last days, whose conversions are still restating
FIT_LAG_DAYS = 11
LAG_DAYS = 3
FOLLOW_UP_DAYS = 28
#: budget_limited: spend over budget that counts as capped; the budget raise proposed
CAPPED_SHARE = 0.85
RAISE_PERCENT = 20.0
#: budget_reallocation: a donor's marginal CPA over the account's, at the optimistic bound and the estimate
DONOR_LOW = 1.5
DONOR_POINT = 2.0
#: wasted_spend: the least spend (in account CPAs) and confidence that no conversion is not chance
WASTE_MIN_CPAS = 2.0
WASTE_CONFIDENCE = 0.95
#: creative_winner: the least relative CTR gap and the family-wise p
WINNER_MIN_LIFT = 0.20
WINNER_ALPHA = 0.001
KINDS = (
    "budget_reallocation",
    "budget_limited",
    "wasted_spend",
    "creative_fatigue",
    "creative_winner",
    "best_practice",
    "platform_selection",
)
#: platform_selection: the share of the worst platform's budget proposed to move
SHIFT_PERCENT = 10.0
#: learning_limited: the optimisation events a Meta ad set needs in a week to leave its learning phase
LEARNING_EVENTS = 50


@dataclass
class Recommendation:
    kind: str
    platform: str
    account_id: str
    entity_type: str
    entity_id: str
    title: str
    evidence: dict[str, Any]
    expected_impact: dict[str, Any]
    confidence: float
    workflow: dict[str, Any]
    #: expected impact in the account's money (spend saved, or conversions at the account's CPA)
    value: float = 0.0
    track_record: dict[str, Any] | None = None
    score: float = 0.0
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            key = "|".join((self.kind, self.platform, self.account_id, self.entity_type, self.entity_id))
            self.id = "rec_" + hashlib.sha256(key.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: numpy numbers as Python ones, infinities and NaN as null."""
        return dict(_plain(asdict(self)))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def recommend(accounts: list[str] | None = None, as_of: date | None = None) -> list[Recommendation]:
    """Every recommendation for the accounts (ids, or `platform:id`; all when empty), unranked."""
    end = as_of or _last_day()
    if end is None:
        return []
    data = _Data(end, accounts or [])
    out: list[Recommendation] = []
    if data.campaigns.empty:
        return out
    out += wasted_spend(data)
    marginal = _marginal(data)
    limited = budget_limited(data, marginal)
    out += limited
    out += budget_reallocation(data, limited, marginal)
    out += creative_fatigue(data)
    out += creative_winner(data)
    out += best_practice(data)
    out += platform_selection(data, marginal)
    # value in the reporting currency, so accounts in yen and in euros rank on one scale
    for rec in out:
        rec.value = round(rec.value * data.fx.get((rec.platform, rec.account_id), 1.0), 2)
    return out


# ---------------------------------------------------------------------------- data


def _last_day() -> date | None:
    frame = warehouse.query("SELECT max(date) AS d FROM campaign_daily")
    value = frame["d"].iloc[0] if len(frame) else None
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date() - timedelta(days=LAG_DAYS)


class _Data:
    """The window's per-campaign and per-account sums, and the history the fits read."""

    def __init__(self, end: date, accounts: list[str]) -> None:
        self.end = end
        self.start = end - timedelta(days=WINDOW_DAYS - 1)
        self.accounts = accounts
        clause, params = self.where("d.")
        self.campaigns = warehouse.query(
            f"""
            SELECT d.platform, d.account_id, d.campaign_id, any_value(d.campaign_name) AS name,
                   any_value(d.currency) AS currency,
                   sum(d.spend)::DOUBLE AS spend, sum(d.spend_reporting)::DOUBLE AS spend_reporting,
                   sum(d.clicks)::DOUBLE AS clicks,
                   sum(d.impressions)::DOUBLE AS impressions, sum(d.conversions)::DOUBLE AS conversions,
                   count(*) FILTER (WHERE d.spend > 0) AS days_spent,
                   sum(d.spend) FILTER (WHERE d.date > ?::DATE - 14)::DOUBLE AS spend_14,
                   stddev_samp(d.spend)::DOUBLE AS spend_sd,
                   sum(d.spend) FILTER (WHERE d.date > ?::DATE - 7)::DOUBLE AS spend_7,
                   any_value(c.daily_budget)::DOUBLE AS daily_budget, any_value(c.status) AS status,
                   any_value(c.conversion_actions)::DOUBLE AS conversion_actions
            FROM campaign_daily d
            LEFT JOIN campaigns c USING (platform, account_id, campaign_id)
            WHERE d.date BETWEEN ? AND ? {clause}
            GROUP BY d.platform, d.account_id, d.campaign_id
            """,
            [end, end, self.start, end, *params],
        )
        totals = self.campaigns.groupby(["platform", "account_id"])[["spend", "clicks", "conversions"]].sum()
        totals["cpa"] = totals["spend"] / totals["conversions"].where(totals["conversions"] > 0)
        totals["cvr"] = totals["conversions"] / totals["clicks"].where(totals["clicks"] > 0)
        self.totals = totals
        money = self.campaigns.groupby(["platform", "account_id"])[["spend", "spend_reporting"]].sum()
        self.fx = {
            key: float(r.spend_reporting / r.spend) if r.spend > 0 else 1.0
            for key, r in zip(money.index, _rows(money), strict=True)
        }

    def where(self, prefix: str) -> tuple[str, list[Any]]:
        if not self.accounts:
            return "", []
        ids = [a.split(":", 1)[-1] for a in self.accounts]
        marks = ", ".join("?" * len(ids))
        return f"AND {prefix}account_id IN ({marks})", ids

    def account(self, platform: str, account_id: str) -> Any:
        return self.totals.loc[(platform, account_id)]

    def history(self) -> pd.DataFrame:
        """Daily spend and conversions per campaign over `HISTORY_DAYS` up to the window's end."""
        clause, params = self.where("")
        return warehouse.query(
            f"""SELECT platform, account_id, campaign_id, date, spend::DOUBLE AS spend,
                       conversions::DOUBLE AS conversions
                FROM campaign_daily WHERE date BETWEEN ? AND ? AND spend > 0 {clause}""",
            [self.end - timedelta(days=HISTORY_DAYS - 1), self.end - timedelta(days=FIT_LAG_DAYS), *params],
        )


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """A frame's rows as named tuples (attribute access; typed Any, as the values are)."""
    return iter(frame.itertuples(index=False))


def _entity(platform: str, account_id: str, entity_type: str, entity_id: str) -> dict[str, str]:
    return {
        "platform": platform,
        "account_id": account_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
    }


def _window(data: _Data) -> dict[str, str]:
    return {"start": data.start.isoformat(), "end": data.end.isoformat()}


# ---------------------------------------------------------------------------- wasted spend


def wasted_spend(data: _Data) -> list[Recommendation]:
    out = []
    for row in _rows(data.campaigns):
        acc = data.account(row.platform, row.account_id)
        if row.conversions >= 0.5 or not row.spend or pd.isna(acc["cpa"]) or pd.isna(acc["cvr"]):
            continue
        if row.spend < WASTE_MIN_CPAS * acc["cpa"]:
            continue
        if getattr(row, "conversion_actions", None) == 0:  # not measured, not absent: no_conversion_tracking
            continue
        # the chance of no conversion in these clicks if the campaign converted at half the account's rate
        chance = (1 - min(acc["cvr"] / 2, 0.99)) ** row.clicks
        confidence = 1 - chance
        if confidence < WASTE_CONFIDENCE:
            continue
        daily = row.spend / WINDOW_DAYS
        spread = 1.96 * (row.spend_sd or 0.0) * math.sqrt(FOLLOW_UP_DAYS)
        delta = -daily * FOLLOW_UP_DAYS
        out.append(
            Recommendation(
                kind="wasted_spend",
                platform=row.platform,
                account_id=row.account_id,
                entity_type="campaign",
                entity_id=row.campaign_id,
                title=f"Pause {row.name}: {row.spend:,.0f} {row.currency} spent, no conversion in {WINDOW_DAYS} days",
                evidence={
                    "window": _window(data),
                    "spend": round(row.spend, 2),
                    "clicks": int(row.clicks),
                    "conversions": round(row.conversions, 2),
                    "account_cpa": round(float(acc["cpa"]), 2),
                    "account_conversion_rate": round(float(acc["cvr"]), 5),
                    "chance_of_zero_if_converting_at_half_the_account_rate": round(chance, 6),
                },
                expected_impact={
                    "metric": "spend",
                    "delta": round(delta, 2),
                    "low": round(delta - spread, 2),
                    "high": round(min(delta + spread, 0.0), 2),
                    "window_days": FOLLOW_UP_DAYS,
                },
                confidence=round(confidence, 4),
                workflow={
                    "name": "bulk",
                    "params": {
                        "action": "pause",
                        "entities": [_entity(row.platform, row.account_id, "campaign", row.campaign_id)],
                        "reason": "recommendation: wasted spend",
                    },
                },
                value=round(-delta, 2),
            )
        )
    return out


# ---------------------------------------------------------------------------- budgets


@dataclass(frozen=True)
class Elasticity:
    """d log(conversions) / d log(spend) from a campaign's history, with its standard error."""

    value: float
    se: float
    days: int


def elasticities(history: pd.DataFrame) -> dict[tuple[str, str, str], Elasticity]:
    """Per campaign: b in conversions ~ Poisson(exp(a_weekday + b * log(spend))), fitted by
    quasi-Poisson (standard errors scaled by the Pearson dispersion), from days with spend.
    Budget changes move spend, so b says how conversions follow spend; a count model keeps days
    with few conversions from biasing it the way a log of counts would."""
    out: dict[tuple[str, str, str], Elasticity] = {}
    if history.empty:
        return out
    frame = history.assign(x=np.log(history["spend"]), wd=pd.to_datetime(history["date"]).dt.weekday)
    for key, g in frame.groupby(["platform", "account_id", "campaign_id"], sort=False):
        y = g["conversions"].clip(lower=0).to_numpy(dtype=float)
        x = g["x"].to_numpy(dtype=float)
        if len(g) < 30 or y.sum() < 20 or float(np.var(x)) < 1e-4:
            continue
        fit = poisson_slope(y, x - x.mean(), g["wd"].to_numpy())
        if fit is not None:
            out[(str(key[0]), str(key[1]), str(key[2]))] = Elasticity(fit[0], fit[1], len(g))
    return out


def poisson_slope(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> tuple[float, float] | None:
    """(b, quasi-Poisson SE of b) of y ~ Poisson(exp(a_group + b x)) by iteratively reweighted least
    squares: statsmodels' GLM gives the same numbers (tested) but takes ~50 ms a campaign against
    ~0.3 ms here, which is the difference between a 1-second and a 30-second page over 500 campaigns."""
    levels = np.unique(groups)
    design = np.column_stack([x, *(groups == level for level in levels)]).astype(float)
    eta = np.log(y + 0.5)
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        weighted = design.T * mu
        try:
            new = np.linalg.solve(weighted @ design, weighted @ z)
        except np.linalg.LinAlgError:
            return None
        eta = np.clip(design @ new, -30, 30)
        done = float(np.max(np.abs(new - beta))) < 1e-9
        beta = new
        if done:
            break
    mu = np.exp(eta)
    dof = len(y) - design.shape[1]
    if dof <= 0:
        return None
    dispersion = float(np.sum((y - mu) ** 2 / mu)) / dof
    try:
        cov = np.linalg.inv((design.T * mu) @ design) * dispersion
    except np.linalg.LinAlgError:
        return None
    b, se = float(beta[0]), float(math.sqrt(max(cov[0, 0], 0.0)))
    return (b, se) if math.isfinite(b) and math.isfinite(se) else None


def _marginal(data: _Data) -> pd.DataFrame:
    """Per campaign of the window: capped share, CPA, elasticity and marginal CPA with bounds."""
    fits = elasticities(data.history())
    rows = []
    z = stats.norm.ppf(0.95)
    for row in _rows(data.campaigns):
        fit = fits.get((row.platform, row.account_id, row.campaign_id))
        acc = data.account(row.platform, row.account_id)
        if fit is None or row.conversions < 5 or pd.isna(acc["cpa"]) or not row.daily_budget:
            continue
        cpa = row.spend / row.conversions
        lo_b, hi_b = fit.value - z * fit.se, fit.value + z * fit.se
        rows.append(
            {
                "platform": row.platform,
                "account_id": row.account_id,
                "campaign_id": row.campaign_id,
                "name": row.name,
                "currency": row.currency,
                "spend": row.spend,
                "conversions": row.conversions,
                "daily_budget": row.daily_budget,
                "capped_share": (row.spend_14 or 0.0) / 14 / row.daily_budget,
                "cpa": cpa,
                "target_cpa": float(acc["cpa"]),
                "elasticity": fit.value,
                "elasticity_se": fit.se,
                "days": fit.days,
                # marginal CPA = CPA / elasticity; pessimistic with the low elasticity, optimistic with the high
                "marginal_cpa": cpa / fit.value if fit.value > 0 else math.inf,
                "marginal_cpa_high": cpa / lo_b if lo_b > 0 else math.inf,
                "marginal_cpa_low": cpa / hi_b if hi_b > 0 else math.inf,
            }
        )
    return pd.DataFrame(rows)


def budget_limited(data: _Data, frame: pd.DataFrame | None = None) -> list[Recommendation]:
    frame = _marginal(data) if frame is None else frame
    out: list[Recommendation] = []
    if frame.empty:
        return out
    picked = frame[
        (frame["capped_share"] >= CAPPED_SHARE) & (frame["marginal_cpa_high"] < frame["target_cpa"])
    ]
    for row in _rows(picked):
        daily_conv = row.conversions / WINDOW_DAYS
        step = RAISE_PERCENT / 100

        # conversions follow spend with the elasticity: delta = conv * ((1 + step)^b - 1)
        def gain(b: float, daily_conv: float = daily_conv, step: float = step) -> float:
            return daily_conv * ((1 + step) ** max(b, 0.0) - 1) * FOLLOW_UP_DAYS

        z = 1.96
        delta = gain(row.elasticity)
        out.append(
            Recommendation(
                kind="budget_limited",
                platform=row.platform,
                account_id=row.account_id,
                entity_type="campaign",
                entity_id=row.campaign_id,
                title=f"Raise {row.name}'s budget {RAISE_PERCENT:.0f}%: capped at {row.capped_share:.0%} of "
                f"budget while its marginal CPA {row.marginal_cpa:,.2f} beats the account's {row.target_cpa:,.2f}",
                evidence={
                    "window": _window(data),
                    "daily_budget": round(row.daily_budget, 2),
                    "spend_over_budget_last_14_days": round(row.capped_share, 3),
                    "cpa": round(row.cpa, 2),
                    "account_cpa": round(row.target_cpa, 2),
                    "elasticity": round(row.elasticity, 3),
                    "elasticity_se": round(row.elasticity_se, 3),
                    "marginal_cpa": round(row.marginal_cpa, 2),
                    "marginal_cpa_90_high": round(row.marginal_cpa_high, 2),
                    "history_days": int(row.days),
                },
                expected_impact={
                    "metric": "conversions",
                    "delta": round(delta, 2),
                    "low": round(gain(row.elasticity - z * row.elasticity_se), 2),
                    "high": round(gain(row.elasticity + z * row.elasticity_se), 2),
                    "window_days": FOLLOW_UP_DAYS,
                },
                confidence=round(
                    float(
                        stats.norm.cdf(
                            (row.target_cpa / row.cpa - 1 / max(row.elasticity, 1e-9))
                            / max(row.elasticity_se / max(row.elasticity, 1e-9) ** 2, 1e-9)
                        )
                    ),
                    4,
                ),
                workflow={
                    "name": "bulk",
                    "params": {
                        "action": "budget",
                        "percent": RAISE_PERCENT,
                        "entities": [_entity(row.platform, row.account_id, "campaign", row.campaign_id)],
                        "reason": "recommendation: budget-limited with a marginal CPA below the account's",
                    },
                },
                value=round(delta * row.target_cpa, 2),
            )
        )
    return out


def budget_reallocation(
    data: _Data, limited: list[Recommendation], frame: pd.DataFrame | None = None
) -> list[Recommendation]:
    frame = _marginal(data) if frame is None else frame
    out: list[Recommendation] = []
    if frame.empty or not limited:
        return out
    receivers: dict[tuple[str, str], Recommendation] = {}
    for rec in limited:
        receivers.setdefault((rec.platform, rec.account_id), rec)
    donors = frame[
        (frame["marginal_cpa_low"] > DONOR_LOW * frame["target_cpa"])
        & (frame["marginal_cpa"] > DONOR_POINT * frame["target_cpa"])
    ]
    names = {(r.platform, r.account_id, r.campaign_id): r.name for r in _rows(frame)}
    for row in _rows(donors):
        receiver = receivers.get((row.platform, row.account_id))
        if receiver is None:
            continue
        cut = RAISE_PERCENT / 100
        saved = row.spend / WINDOW_DAYS * cut * FOLLOW_UP_DAYS
        lost = row.conversions / WINDOW_DAYS * (1 - (1 - cut) ** max(row.elasticity, 0.0)) * FOLLOW_UP_DAYS
        # the money moved buys conversions at the receiver's marginal CPA
        bought = saved / max(receiver.evidence["marginal_cpa"], 1e-9)
        bought_low = saved / max(receiver.evidence["marginal_cpa_90_high"], 1e-9)
        delta = bought - lost
        to_name = names.get((receiver.platform, receiver.account_id, receiver.entity_id), receiver.entity_id)
        out.append(
            Recommendation(
                kind="budget_reallocation",
                platform=row.platform,
                account_id=row.account_id,
                entity_type="campaign",
                entity_id=row.campaign_id,
                title=f"Move {RAISE_PERCENT:.0f}% of {row.name}'s budget to {to_name}: its marginal CPA "
                f"{row.marginal_cpa:,.2f} is far above the account's {row.target_cpa:,.2f}",
                evidence={
                    "window": _window(data),
                    "marginal_cpa": round(row.marginal_cpa, 2),
                    "marginal_cpa_90_low": round(row.marginal_cpa_low, 2),
                    "account_cpa": round(row.target_cpa, 2),
                    "elasticity": round(row.elasticity, 3),
                    "to_campaign": receiver.entity_id,
                    "to_marginal_cpa": receiver.evidence["marginal_cpa"],
                    "spend_moved": round(saved, 2),
                },
                expected_impact={
                    "metric": "conversions",
                    "delta": round(delta, 2),
                    "low": round(bought_low - lost, 2),
                    "high": round(bought * 1.5 - lost, 2),
                    "window_days": FOLLOW_UP_DAYS,
                },
                confidence=0.9,
                workflow={
                    "name": "bulk",
                    "params": {
                        "action": "budget",
                        "percent": -RAISE_PERCENT,
                        "entities": [_entity(row.platform, row.account_id, "campaign", row.campaign_id)],
                        "reason": f"recommendation: reallocate to {receiver.entity_id}",
                    },
                },
                value=round(delta * row.target_cpa, 2),
            )
        )
    return out


# ---------------------------------------------------------------------------- creatives


def creative_fatigue(data: _Data) -> list[Recommendation]:
    from adops.analytics import fatigue
    from adops.analytics.overview import Filters

    judged = fatigue.detect(
        Filters(data.start, data.end, (), tuple(data.accounts if ":" in "".join(data.accounts) else ()))
    )
    if data.accounts:
        ids = {a.split(":", 1)[-1] for a in data.accounts}
        judged = judged[judged["account_id"].isin(ids)]
    tired = judged[judged["status"] == "fatigued"]
    out = []
    for row in _rows(tired):
        daily_impressions = row.last_impressions / 7
        lost_ctr = row.first_ctr - row.last_ctr
        # its siblings take its impressions at roughly a fresh CTR: half the lost CTR comes back, or all
        delta = daily_impressions * lost_ctr * 0.5 * FOLLOW_UP_DAYS
        out.append(
            Recommendation(
                kind="creative_fatigue",
                platform=row.platform,
                account_id=row.account_id,
                entity_type="ad",
                entity_id=row.ad_id,
                title=f"Rotate out {row.name}: CTR down {-row.ctr_change:.0%} since its first week",
                evidence={
                    "window": {
                        "start": (data.end - timedelta(days=6)).isoformat(),
                        "end": data.end.isoformat(),
                    },
                    "first_day": str(row.first_day),
                    "first_ctr": round(row.first_ctr, 5),
                    "last_ctr": round(row.last_ctr, 5),
                    "ctr_change": round(row.ctr_change, 4),
                    "last_impressions": int(row.last_impressions),
                    "campaign_id": row.campaign_id,
                    "ad_group_id": row.ad_group_id,
                },
                expected_impact={
                    "metric": "clicks",
                    "delta": round(delta, 1),
                    "low": 0.0,
                    "high": round(delta * 2, 1),
                    "window_days": FOLLOW_UP_DAYS,
                },
                confidence=0.9,
                workflow={
                    "name": "bulk",
                    "params": {
                        "action": "pause",
                        "entities": [_entity(row.platform, row.account_id, "ad", row.ad_id)],
                        "reason": "recommendation: creative fatigue",
                    },
                },
                value=0.0,
            )
        )
    return out


def creative_winner(data: _Data) -> list[Recommendation]:
    clause, params = data.where("")
    ads = warehouse.query(
        f"""SELECT platform, account_id, campaign_id, ad_group_id, ad_id, any_value(ad_name) AS name,
                   sum(impressions)::DOUBLE AS impressions, sum(clicks)::DOUBLE AS clicks
            FROM ad_daily WHERE date BETWEEN ? AND ? {clause}
            GROUP BY platform, account_id, campaign_id, ad_group_id, ad_id HAVING sum(impressions) > 0""",
        [data.end - timedelta(days=6), data.end, *params],
    )
    out: list[Recommendation] = []
    if ads.empty:
        return out
    # every ad against the best of its ad group, all at once (a loop per group took 20 s on the demo)
    keys = ["platform", "account_id", "ad_group_id"]
    ads = ads.assign(ctr=ads["clicks"] / ads["impressions"])
    ads = ads.sort_values([*keys, "ctr", "ad_id"], ascending=[True, True, True, False, True])
    size = ads.groupby(keys)["ad_id"].transform("size")
    first = ads.groupby(keys).cumcount() == 0
    best = ads[first].set_index(keys)[["ad_id", "name", "ctr", "clicks", "impressions"]].add_prefix("best_")
    pairs = ads[(~first) & (size >= 2)].join(best, on=keys).assign(pairs=size - 1)
    pooled = (pairs["best_clicks"] + pairs["clicks"]) / (pairs["best_impressions"] + pairs["impressions"])
    se = np.sqrt(pooled * (1 - pooled) * (1 / pairs["best_impressions"] + 1 / pairs["impressions"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs = pairs.assign(
            lift=np.where(pairs["ctr"] > 0, pairs["best_ctr"] / pairs["ctr"] - 1, np.inf),
            p=2 * stats.norm.sf((pairs["best_ctr"] - pairs["ctr"]) / se.where(se > 0)),
        )
    chosen = pairs[(pairs["lift"] >= WINNER_MIN_LIFT) & (pairs["p"] * pairs["pairs"] < WINNER_ALPHA)]
    for loser in _rows(chosen):
        winner: dict[str, Any] = {
            "ad_id": loser.best_ad_id,
            "name": loser.best_name,
            "ctr": loser.best_ctr,
            "impressions": loser.best_impressions,
        }
        lift, p, pairs_n = loser.lift, loser.p, loser.pairs
        gained = loser.impressions / 7 * (winner["ctr"] - loser.ctr) * FOLLOW_UP_DAYS
        out.append(
            Recommendation(
                kind="creative_winner",
                platform=loser.platform,
                account_id=loser.account_id,
                entity_type="ad",
                entity_id=loser.ad_id,
                title=f"{winner['name']} beats {loser.name} by {lift:.0%} CTR: pause {loser.name}",
                evidence={
                    "window": {
                        "start": (data.end - timedelta(days=6)).isoformat(),
                        "end": data.end.isoformat(),
                    },
                    "winner": str(winner["ad_id"]),
                    "winner_ctr": round(float(winner["ctr"]), 5),
                    "winner_impressions": int(winner["impressions"]),
                    "loser_ctr": round(loser.ctr, 5),
                    "loser_impressions": int(loser.impressions),
                    "p_value_bonferroni": min(p * pairs_n, 1.0),
                    "ad_group_id": loser.ad_group_id,
                },
                expected_impact={
                    "metric": "clicks",
                    "delta": round(gained, 1),
                    "low": round(gained * 0.5, 1),
                    "high": round(gained * 1.2, 1),
                    "window_days": FOLLOW_UP_DAYS,
                },
                confidence=round(1 - min(p * pairs_n, 1.0), 6),
                workflow={
                    "name": "bulk",
                    "params": {
                        "action": "pause",
                        "entities": [_entity(loser.platform, loser.account_id, "ad", loser.ad_id)],
                        "reason": f"recommendation: {winner['ad_id']} wins on CTR",
                    },
                },
            )
        )
    return out


# ---------------------------------------------------------------------------- platforms


def platform_selection(data: _Data, marginal: pd.DataFrame | None = None) -> list[Recommendation]:
    """Where the next unit of budget works best across platforms. A platform's marginal CPA when all
    its campaigns' budgets scale together is its spend over the sum of each campaign's conversions x
    elasticity (the campaign fits above; a fit on a platform's summed series is not identified, as
    its campaigns change budgets on different days), in the reporting currency, with a 90% interval
    from the fits' standard errors. When the best platform's pessimistic bound beats the worst's
    optimistic one, move `SHIFT_PERCENT` of the worst's campaign budgets."""
    frame = _marginal(data) if marginal is None else marginal
    if frame.empty:
        return []
    z = stats.norm.ppf(0.95)
    fx = frame.apply(lambda r: data.fx.get((r["platform"], r["account_id"]), 1.0), axis=1)
    frame = frame.assign(
        spend_rep=frame["spend"] * fx,
        gain=frame["conversions"] * frame["elasticity"],
        gain_var=(frame["conversions"] * frame["elasticity_se"]) ** 2,
    )
    rows = []
    for platform, g in frame.groupby("platform"):
        gain, sd = float(g["gain"].sum()), float(math.sqrt(g["gain_var"].sum()))
        if len(g) < 3 or gain - z * sd <= 0:
            continue
        spend = float(g["spend_rep"].sum())
        rows.append((str(platform), spend / gain, spend / (gain + z * sd), spend / (gain - z * sd), len(g)))
    if len(rows) < 2:
        return []
    best = min(rows, key=lambda r: r[1])
    worst = max(rows, key=lambda r: r[1])
    if best[3] >= worst[2]:  # the intervals overlap: no clear winner
        return []
    donors = data.campaigns[
        (data.campaigns["platform"] == worst[0]) & (data.campaigns["status"] == "ENABLED")
    ]
    donors = donors.sort_values("spend", ascending=False).head(1000)
    if donors.empty:
        return []
    moved = float(donors["spend_reporting"].sum()) / WINDOW_DAYS * SHIFT_PERCENT / 100 * FOLLOW_UP_DAYS
    delta = moved / best[1] - moved / worst[1]
    low = moved / best[3] - moved / worst[2]
    high = moved / best[2] - moved / worst[3]
    names = {p: PLATFORM_NAMES.get(p, p) for p in (best[0], worst[0])}
    return [
        Recommendation(
            kind="platform_selection",
            platform=worst[0],
            account_id="all",
            entity_type="platform",
            entity_id=worst[0],
            title=f"Move {SHIFT_PERCENT:.0f}% of {names[worst[0]]}'s budget to {names[best[0]]}: a conversion "
            f"at the margin costs {best[1]:,.2f} there against {worst[1]:,.2f}",
            evidence={
                "window": _window(data),
                "currency": "reporting",
                "marginal_cpa": {r[0]: round(r[1], 2) for r in rows},
                "marginal_cpa_90": {r[0]: [round(r[2], 2), round(r[3], 2)] for r in rows},
                "campaigns_fitted": {r[0]: r[4] for r in rows},
                "to_platform": best[0],
                "spend_moved": round(moved, 2),
            },
            expected_impact={
                "metric": "conversions",
                "delta": round(delta, 2),
                "low": round(min(low, delta), 2),
                "high": round(max(high, delta), 2),
                "window_days": FOLLOW_UP_DAYS,
            },
            confidence=0.95,
            workflow={
                "name": "bulk",
                "params": {
                    "action": "budget",
                    "percent": -SHIFT_PERCENT,
                    "entities": [
                        _entity(r.platform, r.account_id, "campaign", r.campaign_id) for r in _rows(donors)
                    ],
                    "reason": f"recommendation: platform selection, to {best[0]}",
                },
            },
            value=round(delta * worst[1], 2),
        )
    ]


# ---------------------------------------------------------------------------- best practice


def best_practice(data: _Data) -> list[Recommendation]:
    clause, params = data.where("c.")
    counts = warehouse.query(
        f"""SELECT c.platform, c.account_id, c.campaign_id, any_value(c.campaign_name) AS name,
                   count(a.ad_id) FILTER (WHERE a.status = 'ENABLED') AS enabled_ads
            FROM campaigns c LEFT JOIN ads a USING (platform, account_id, campaign_id)
            WHERE c.status = 'ENABLED' {clause}
            GROUP BY c.platform, c.account_id, c.campaign_id""",
        params,
    )
    spend = data.campaigns.set_index(["platform", "account_id", "campaign_id"])
    out = []
    for row in _rows(counts):
        key = (row.platform, row.account_id, row.campaign_id)
        spent = float(spend["spend"].get(key, 0.0)) if key in spend.index else 0.0
        if row.enabled_ads == 1 and spent > 0:
            out.append(
                _practice(
                    data,
                    row,
                    "one_ad",
                    f"{row.name} runs one ad only: add a second to rotate and learn",
                    {"enabled_ads": 1, "spend": round(spent, 2)},
                )
            )
        recent = float(spend["spend_7"].get(key, 0.0) or 0.0) if key in spend.index else 0.0
        budget = float(spend["daily_budget"].get(key, 0.0) or 0.0) if key in spend.index else 0.0
        if key in spend.index and spent > 0 and recent == 0 and budget > 0:
            out.append(
                _practice(
                    data,
                    row,
                    "not_delivering",
                    f"{row.name} is enabled with a budget but spent nothing in 7 days",
                    {"daily_budget": budget, "spend_last_7_days": 0.0},
                )
            )
    return out + no_conversion_tracking(data) + learning_limited(data)


def no_conversion_tracking(data: _Data) -> list[Recommendation]:
    """Google Ads campaigns that spent in the window while counting no enabled conversion action."""
    clause, params = data.where("")
    found = warehouse.query(
        f"""SELECT platform, account_id, campaign_id, campaign_name AS name, bidding_strategy,
                   conversion_actions
            FROM campaigns
            WHERE platform = 'google_ads' AND status = 'ENABLED' AND conversion_actions = 0 {clause}""",
        params,
    )
    window = {
        (r.platform, r.account_id, r.campaign_id): r for r in _rows(data.campaigns) if (r.spend or 0.0) > 0
    }
    out = []
    for row in _rows(found):
        got = window.get((row.platform, row.account_id, row.campaign_id))
        if got is None:
            continue
        out.append(
            _practice(
                data,
                row,
                "no_conversion_tracking",
                f"{row.name} spends with no conversion tracking: add a conversion action to its goals",
                {
                    "conversion_actions": 0,
                    "bidding_strategy": row.bidding_strategy,
                    "spend": round(float(got.spend), 2),
                    "clicks": int(got.clicks),
                    "conversions": round(float(got.conversions), 2),
                },
            )
        )
    return out


def learning_limited(data: _Data) -> list[Recommendation]:
    """Meta ad sets that spent in the window's last 7 days while Meta reports them "Learning limited"."""
    clause, params = data.where("a.")
    week = data.end - timedelta(days=6)
    found = warehouse.query(
        f"""WITH s AS (
                SELECT platform, account_id, ad_group_id, any_value(campaign_id) AS campaign_id,
                       any_value(ad_group_name) AS name, any_value(ad_group_learning_stage) AS stage
                FROM ads a WHERE platform = 'meta' AND ad_group_learning_stage IS NOT NULL {clause}
                GROUP BY ALL
            ), d AS (
                SELECT platform, account_id, ad_group_id, sum(spend)::DOUBLE AS spend,
                       sum(conversions)::DOUBLE AS conversions
                FROM ad_daily a WHERE platform = 'meta' AND date BETWEEN ? AND ? {clause}
                GROUP BY ALL
            )
            SELECT s.*, coalesce(d.spend, 0) AS spend, coalesce(d.conversions, 0) AS conversions,
                   sum(coalesce(d.conversions, 0)) OVER (PARTITION BY s.platform, s.account_id, s.campaign_id)
                       AS campaign_conversions,
                   count(*) OVER (PARTITION BY s.platform, s.account_id, s.campaign_id) AS ad_sets
            FROM s LEFT JOIN d USING (platform, account_id, ad_group_id)
            JOIN campaigns c ON c.platform = s.platform AND c.account_id = s.account_id
                            AND c.campaign_id = s.campaign_id AND c.status = 'ENABLED'""",
        [*params, week, data.end, *params],
    )
    out = []
    for row in _rows(found):
        if row.stage != "FAIL" or not row.spend > 0:
            continue
        together = row.ad_sets > 1 and row.campaign_conversions >= LEARNING_EVENTS
        advice = (
            f"consolidate its campaign's {row.ad_sets} ad sets ({row.campaign_conversions:,.0f} events a week together)"
            if together
            else "raise its budget or optimise for a more frequent event"
        )
        out.append(
            _practice(
                data,
                row,
                "learning_limited",
                f"{row.name} is learning limited on Meta: {advice}",
                {
                    "learning_stage": "FAIL",
                    "events_last_7_days": round(float(row.conversions), 2),
                    "events_needed": LEARNING_EVENTS,
                    "spend_last_7_days": round(float(row.spend), 2),
                    "campaign_id": row.campaign_id,
                    "campaign_ad_sets": int(row.ad_sets),
                    "campaign_events_last_7_days": round(float(row.campaign_conversions), 2),
                    "window": {"start": week.isoformat(), "end": data.end.isoformat()},
                },
                entity=("ad_group", row.ad_group_id),
            )
        )
    return out


def _practice(
    data: _Data,
    row: Any,
    check: str,
    title: str,
    numbers: dict[str, Any],
    entity: tuple[str, str] | None = None,
) -> Recommendation:
    entity_type, entity_id = entity or ("campaign", row.campaign_id)
    return Recommendation(
        kind="best_practice",
        platform=row.platform,
        account_id=row.account_id,
        entity_type=entity_type,
        entity_id=entity_id,
        title=title,
        evidence={"check": check, "window": _window(data), **numbers},
        expected_impact={
            "metric": "conversions",
            "delta": 0.0,
            "low": 0.0,
            "high": 0.0,
            "window_days": FOLLOW_UP_DAYS,
        },
        confidence=1.0,
        workflow={
            "name": "performance-report",
            "params": {"platforms": [row.platform], "days": 7, "title": f"Check: {title}"[:120]},
        },
    )
