"""The sandbox's truth for each recommendation kind, to measure precision and recall against
(tests/intelligence and benchmarks/bench_recommend.py). Reads the simulator; never the warehouse's guesses."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from adops.connectors.sandbox.world import World
from adops.intelligence import recommend as R


def true_elasticity(world: World, campaign_id: str, spend: float) -> float:
    """d log(conversions) / d log(spend) of the campaign's true Hill curve at a daily spend:
    s * K^s / (K^s + x^s), whatever the season (it multiplies the curve)."""
    camp = next(c for acc in world.accounts for c in world.campaigns(acc.id) if c.id == campaign_id)
    ks = camp.k**camp.s
    return float(camp.s * ks / (ks + spend**camp.s))


def budget_truth(world: World, end: date) -> tuple[set[str], set[str]]:
    """(budget-limited, reallocation donors) by the true marginal CPA: capped campaigns whose true
    marginal CPA (CPA / true elasticity) beats the account's CPA; campaigns whose true marginal CPA
    is above 1.5x the account's."""
    frame = R._marginal(R._Data(end, []))
    limited, donors = set(), set()
    for row in R._rows(frame):
        marginal = row.cpa / true_elasticity(world, row.campaign_id, row.spend / R.WINDOW_DAYS)
        if row.capped_share >= R.CAPPED_SHARE and marginal < row.target_cpa:
            limited.add(row.campaign_id)
        if marginal > 1.5 * row.target_cpa:
            donors.add(row.campaign_id)
    return limited, donors


def true_ctr(world: World, ad_id: str, days: list[date]) -> float:
    account = next(acc.id for acc in world.accounts for a in world.ads(acc.id) if a.id == ad_id)
    return float(np.mean(world.true_ctr(account, ad_id, days)))


def last_week(end: date) -> list[date]:
    return [end - timedelta(days=i) for i in range(7)]


def precision(predicted: set[str], truth: set[str]) -> tuple[float, float]:
    hit = len(predicted & truth)
    return hit / max(len(predicted), 1), hit / max(len(truth), 1)


def platform_marginal_cpa(world: World, end: date) -> dict[str, float]:
    """Per platform, the true marginal CPA of scaling all its campaigns' budgets together: its
    spend (reporting currency) over the sum of each campaign's conversions x true elasticity."""
    data = R._Data(end, [])
    spend: dict[str, float] = {}
    gained: dict[str, float] = {}
    for row in R._rows(data.campaigns):
        if not row.spend:
            continue
        e = true_elasticity(world, row.campaign_id, row.spend / R.WINDOW_DAYS)
        spend[row.platform] = spend.get(row.platform, 0.0) + row.spend_reporting
        gained[row.platform] = gained.get(row.platform, 0.0) + row.conversions * e
    return {p: spend[p] / gained[p] for p in spend if gained.get(p)}


def untracked_truth(world: World, end: date) -> set[str]:
    """Google campaigns whose conversion tracking the simulator took away on or before `end`."""
    return {c for planted in world.untracked.values() for c, since in planted if since <= end}


def learning_limited_truth(world: World, today: date) -> set[str]:
    """Meta ad sets truly learning limited on `today`: past their learning phase, with fewer than
    LEARNING_EVENTS optimisation events *expected* in the last 7 days (the noise-free rate; the
    platform's status reads the events it counted, which scatter around it)."""
    out = set()
    for acc in world.accounts:
        for group, (status, _, expected) in world.learning(acc.id, today).items():
            if status != "LEARNING" and expected < R.LEARNING_EVENTS:
                out.add(group)
    return out
