"""The Recommendations page's tables: the ranked list and the outcomes, as DataFrames (reads only)."""

from __future__ import annotations

import pandas as pd

from adops.config import PLATFORM_NAMES
from adops.intelligence import memory
from adops.intelligence.recommend import Recommendation

KIND_LABELS = {
    "budget_reallocation": "Budget reallocation",
    "budget_limited": "Budget-limited",
    "wasted_spend": "Wasted spend",
    "creative_fatigue": "Creative fatigue",
    "creative_winner": "Creative winner",
    "best_practice": "Best practice",
    "platform_selection": "Platform selection",
}


def ranked_frame(recs: list[Recommendation]) -> pd.DataFrame:
    """One row per recommendation, best first: what, where, expected impact, confidence, track record."""
    from adops.analytics.kpis import label as metric_label
    from adops.names import account_names

    accounts = account_names() if recs else {}
    rows = []
    for r in recs:
        impact = r.expected_impact
        record = r.track_record
        rows.append(
            {
                "id": r.id,
                "kind": KIND_LABELS.get(r.kind, r.kind),
                "platform": PLATFORM_NAMES.get(r.platform, r.platform),
                "account": "All accounts"
                if r.account_id == "all"
                else accounts.get((str(r.platform), str(r.account_id)), r.account_id),
                "recommendation": r.title,
                "metric": metric_label(str(impact["metric"])),
                "expected": impact["delta"],
                "low": impact["low"],
                "high": impact["high"],
                "days": impact.get("window_days"),
                "confidence": r.confidence,
                "track record": track_text(record),
                "score": r.score,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "kind",
            "platform",
            "account",
            "recommendation",
            "metric",
            "expected",
            "low",
            "high",
            "days",
            "confidence",
            "track record",
            "score",
        ],
    )


def track_text(record: dict | None) -> str:  # type: ignore[type-arg]
    """ "3 similar changes delivered 82% of what was predicted", or "no outcome yet"."""
    if not record or not record.get("n"):
        return "no outcome yet"
    n, mean = record["n"], record["mean_realized_over_predicted"]
    changes = "change" if n == 1 else "changes"
    return f"{n} similar {changes} delivered {mean:.0%} of what was predicted"


def outcomes_frame() -> pd.DataFrame:
    rows = []
    for o in memory.outcomes():
        measured = o["measured"]
        rows.append(
            {
                "applied": o["applied_at"][:10],
                "kind": KIND_LABELS.get(o["kind"], o["kind"].replace("workflow:", "Workflow run: ", 1)),
                "platform": PLATFORM_NAMES.get(o["platform"], o["platform"]),
                "entity": o["entity_id"],
                "metric": o["predicted"]["metric"],
                "predicted": o["predicted"]["delta"],
                "measured": measured["delta"] if measured else None,
                "realized / predicted": measured["realized_over_predicted"] if measured else None,
                "window (days)": o["window_days"],
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "applied",
            "kind",
            "platform",
            "entity",
            "metric",
            "predicted",
            "measured",
            "realized / predicted",
            "window (days)",
        ],
    )
