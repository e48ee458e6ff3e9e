"""How well the anomaly rules recover the sandbox's injected anomalies (precision, recall, F1 per kind).

The simulator knows what it injected (`World.anomalies`): spend spikes (x3.5 for a day), spend drops
(a fifth for one or two days) and tracking outages (conversions to ~zero for one or two days). Each
injected campaign-day is one truth item: spikes and drops are judged on the campaign's spend,
outages on its conversions. An outage counts only where the campaign normally has volume (a median
of at least `min_volume` conversions a day over the four weeks before it): on a campaign with a
few conversions a day, a zero is ordinary and no rule can tell it from an outage.

Every scan finding of those kinds on those metrics is a prediction; one that matches no truth item
is a false positive. Days in the last `settle_days` are left out: their later days are not in
yet, so the rules cannot tell an anomaly from a new level there (they report it, and a later scan
resolves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from adops.analytics.anomalies import Thresholds, scan

KINDS = ("spike", "drop", "outage")
_TRUTH_KIND = {"spend_spike": "spike", "spend_drop": "drop", "tracking_outage": "outage"}
_METRIC = {"spike": "spend", "drop": "spend", "outage": "conversions"}


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def world_daily(seed: int, anchor: date, days: int = 120) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """The campaign days of the sandbox world `seed` (the `days` before `anchor`) and its truth items
    (kind, campaign_id, YYYY-MM-DD), before the volume rule for outages."""
    from adops.connectors.sandbox.world import World

    world = World(seed=seed, anchor=anchor)
    start, end = anchor - timedelta(days=days), anchor - timedelta(days=1)
    daily = pd.concat([world.campaign_daily(a.id, start, end) for a in world.accounts], ignore_index=True)
    truth = []
    for a in world.anomalies:
        day = a.start
        while day <= a.end:
            truth.append((_TRUTH_KIND[a.kind], a.campaign_id, day.isoformat()))
            day += timedelta(days=1)
    return daily, truth


def evaluate(
    daily: pd.DataFrame,
    truth: list[tuple[str, str, str]],
    thresholds: Thresholds | None = None,
    settle_days: int = 7,
) -> dict[str, Score]:
    """Precision, recall and F1 per kind of a campaign-level scan of `daily` against `truth`."""
    t = thresholds or Thresholds()
    frame = daily.assign(date=pd.to_datetime(daily["date"]).dt.normalize())
    last = frame["date"].max()
    cut = (last - pd.Timedelta(days=settle_days - 1)).date().isoformat()
    conversions = frame.set_index(["campaign_id", "date"])["conversions"].sort_index()
    wanted = set()
    for kind, campaign, day in truth:
        if day >= cut:
            continue
        if kind == "outage":
            start = pd.Timestamp(day)
            before = conversions.loc[campaign]
            usual = before[(before.index < start) & (before.index >= start - pd.Timedelta(days=28))].median()
            if not usual >= t.min_volume:
                continue
        wanted.add((kind, campaign, day))
    found = scan(frame, t, metrics=("spend", "conversions"), levels=("campaign",))
    predicted = {
        (a.kind, a.dims["campaign_id"], a.ds) for a in found if a.metric == _METRIC[a.kind] and a.ds < cut
    }
    return {
        kind: Score(
            tp=len({p for p in predicted & wanted if p[0] == kind}),
            fp=len({p for p in predicted - wanted if p[0] == kind}),
            fn=len({p for p in wanted - predicted if p[0] == kind}),
        )
        for kind in KINDS
    }
