"""What every platform-changing workflow run predicted, kept beside the applied recommendations.

When a run's changes are applied, the workflow engine calls `remember` (registered here as its
`on_applied` hook "memory"; this module is listed in `adops.workflows.builtins.MODULES`): one row per
changed entity in `recommendation_applications` (kind `workflow:<name>`, recommendation id
`run:<run id>`, the run's id in `run_id`), with the metric, the expected delta over the follow-up
window, its interval and the `basis` in `evidence`. The daily `recommendations.measure` job then
measures them like the recommendations (matched unchanged entities, difference in differences) and
`adops recommend outcomes` lists them.

Where a prediction comes from (`evidence.basis`):

- **the workflow's own numbers** (`budget-optimization`: the optimizer's expected conversions or
  value for the share of the move the step makes; `pacing-guard`: its run-rate projection against
  the new budget) — returned with its plan;
- **history** for every other entity, from its last 28 days in the warehouse (up to the last day
  whose conversions are settled), with a wide interval:
  - a paused campaign or ad group: its spend stops (delta = −its daily spend × window, ±30%);
  - a paused ad: no change expected in its ad group's clicks (its siblings take its delivery), ±25%;
  - an enabled entity: it spends as it did when it last spent (0 to 2×);
  - a budget or bid move by a factor r: spend moves by none to all of (r − 1) × its spend (half
    expected);
  - anything else (a creation left paused, a change of another kind): no change expected, with an
    interval of ±25% of its spend (zero when it has none).

Pure store writes; the warehouse is read once per run. The engine never imports this module: it
registers itself with the engine, as the memory already depends on the workflows (`memory.apply`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from adops import clock, warehouse
from adops.intelligence.models import RecommendationApplication
from adops.intelligence.recommend import FOLLOW_UP_DAYS, LAG_DAYS, WINDOW_DAYS, _rows
from adops.workflows.engine import on_applied

METRICS = ("spend", "clicks", "conversions", "conversion_value")
#: the interval around a pause's lost spend (the account's trend moves the counterfactual)
PAUSE_BAND = 0.3
#: the interval of a "no change expected" prediction, as a share of the entity's baseline
STEADY_BAND = 0.25

Key = tuple[str, str, str, str]


def remember(
    run_id: str,
    workflow: str,
    applied: list[dict[str, Any]],
    own: list[dict[str, Any]],
    on: date | None = None,
) -> dict[str, Any]:
    """Record one prediction per entity the run changed (once: a repeated step finds them)."""
    from adops.store import session

    if not applied:
        return {"predictions": 0}
    with session() as s:
        found = s.scalar(select(func.count()).where(RecommendationApplication.run_id == run_id))
    if found:
        return {"predictions": int(found), "repeated": True}
    day = on or clock.today()
    entities: dict[Key, list[dict[str, Any]]] = {}
    for change in applied:
        key = (change["platform"], change["account_id"], change["entity_type"], str(change["entity_id"]))
        entities.setdefault(key, []).append(change)
    given = {
        (p["platform"], p["account_id"], p["entity_type"], str(p["entity_id"])): p
        for p in own
        if p.get("metric") in METRICS
    }
    adopted = _adopted(run_id, workflow, entities, day)  # changes a recommendation predicted already
    entities = {k: v for k, v in entities.items() if k not in adopted}
    history = _history([k for k in entities if k not in given], day)
    rows = []
    for key, changes in entities.items():
        mine = given.get(key)
        if mine is not None:
            predicted = {
                **mine,
                "basis": mine.get("basis") or f"{workflow}'s own numbers",
                "source": "workflow",
            }
        else:
            predicted = {**_from_history(key, changes, history.get(key, {})), "source": "history"}
        rows.append(_row(run_id, workflow, key, changes, predicted, history.get(key, {}), day))
    with session() as s:
        s.add_all(rows)
    counts: dict[str, int] = {"recommendation": len(adopted)} if adopted else {}
    for r in rows:
        counts[r.evidence["source"]] = counts.get(r.evidence["source"], 0) + 1
    return {"predictions": len(rows), **{f"from_{k}": v for k, v in sorted(counts.items())}}


def _adopted(run_id: str, workflow: str, entities: dict[Key, Any], day: date) -> set[Key]:
    from adops.intelligence.memory import adopt

    return adopt(run_id, workflow, entities, day)


def _row(
    run_id: str,
    workflow: str,
    key: Key,
    changes: list[dict[str, Any]],
    predicted: dict[str, Any],
    past: dict[str, Any],
    day: date,
) -> RecommendationApplication:
    platform, account_id, entity_type, entity_id = key
    window = int(predicted.get("window_days") or FOLLOW_UP_DAYS)
    evidence = {
        "applied_on": day.isoformat(),
        "title": f"{workflow} run {run_id}",
        "basis": str(predicted.get("basis", ""))[:300],
        "source": predicted["source"],
        "changes": [
            {"field": c["field"], "before": c.get("replaced", c.get("before")), "after": c["after"]}
            for c in changes[:20]
        ],
    }
    if past.get("ad_group_id"):
        evidence["ad_group_id"] = past["ad_group_id"]
    return RecommendationApplication(
        recommendation_id=f"run:{run_id}"[:120],
        kind=f"workflow:{workflow}"[:40],
        platform=platform,
        account_id=account_id,
        entity_type=entity_type,
        entity_id=entity_id[:200],
        workflow=workflow[:100],
        params={},
        run_id=run_id,
        metric=str(predicted["metric"]),
        predicted_delta=round(float(predicted["delta"]), 2),
        predicted_low=round(float(min(predicted["low"], predicted["high"])), 2),
        predicted_high=round(float(max(predicted["low"], predicted["high"])), 2),
        window_days=window,
        evidence=evidence,
        applied_at=clock.now(),
        due_at=datetime.combine(day + timedelta(days=window + LAG_DAYS), time(), UTC),
        status="applied",
    )


def _from_history(key: Key, changes: list[dict[str, Any]], past: dict[str, Any]) -> dict[str, Any]:
    """A prediction for an entity the workflow gave none for, from its recent history."""
    entity_type = key[2]
    window = FOLLOW_UP_DAYS
    spend = float(past.get("spend_per_day", 0.0)) * window
    active = float(past.get("active_spend_per_day", 0.0)) * window
    clicks = float(past.get("group_clicks_per_day", 0.0)) * window
    statuses = [str(c["after"]).upper() for c in changes if c["field"] == "status"]
    ratios = {c["field"]: _ratio(c) for c in changes if c["field"] in ("daily_budget", "bid")}
    if statuses and statuses[-1] == "PAUSED":
        if entity_type == "ad":
            return _steady("clicks", clicks, "pause an ad: no change expected in its ad group's clicks "
                           "(its other ads take its delivery)", window)  # fmt: skip
        return {
            "metric": "spend",
            "delta": -spend,
            "low": -spend * (1 + PAUSE_BAND),
            "high": -spend * (1 - PAUSE_BAND),
            "window_days": window,
            "basis": f"pause: its spend stops (its last {WINDOW_DAYS} days' spend, ±{PAUSE_BAND:.0%})",
        }
    if statuses and statuses[-1] == "ENABLED":
        return {
            "metric": "spend",
            "delta": active,
            "low": 0.0,
            "high": 2 * active,
            "window_days": window,
            "basis": "enable: it spends as it did on its last days with spend (0 to 2x)"
            if active
            else "enable: no spend history, no change can be predicted",
        }
    for field in ("daily_budget", "bid"):
        r = ratios.get(field)
        if r is not None:
            full = spend * (r - 1.0)
            return {
                "metric": "spend",
                "delta": full / 2,
                "low": min(0.0, full),
                "high": max(0.0, full),
                "window_days": window,
                "basis": f"{field.replace('_', ' ')} x{r:.3g}: spend moves by none to all of the move "
                f"(half expected; its last {WINDOW_DAYS} days' spend)",
            }
    return _steady("spend", spend, "no change expected in its spend", window)


def _steady(metric: str, baseline: float, basis: str, window: int) -> dict[str, Any]:
    return {
        "metric": metric,
        "delta": 0.0,
        "low": -STEADY_BAND * baseline,
        "high": STEADY_BAND * baseline,
        "window_days": window,
        "basis": f"{basis} (±{STEADY_BAND:.0%} of its last {WINDOW_DAYS} days)",
    }


def _ratio(change: dict[str, Any]) -> float | None:
    before, after = change.get("replaced", change.get("before")), change.get("after")
    if isinstance(before, bool) or isinstance(after, bool):
        return None
    if not isinstance(before, int | float) or not isinstance(after, int | float) or before <= 0:
        return None
    return float(after) / float(before)


def _history(keys: Iterable[Key], day: date) -> dict[Key, dict[str, Any]]:
    """Each entity's daily spend over the settled window, its spend per active day over 180 days,
    and for ads their ad group (and its clicks per day)."""
    keys = list(keys)
    if not keys:
        return {}
    try:
        last = warehouse.query("SELECT max(date) AS d FROM campaign_daily")["d"].iloc[0]
    except Exception:  # noqa: BLE001 - no warehouse yet: no history to predict from
        return {}
    if last is None or str(last) == "NaT":
        return {}
    end = min(_as_date(last) - timedelta(days=LAG_DAYS), day)
    start, long_start = end - timedelta(days=WINDOW_DAYS - 1), end - timedelta(days=179)
    out: dict[Key, dict[str, Any]] = {}
    campaigns = [k for k in keys if k[2] == "campaign"]
    by_group = [k for k in keys if k[2] in ("ad_group", "ad")]
    if campaigns:
        frame = warehouse.query(
            f"""SELECT platform, account_id, campaign_id AS id,
                       sum(spend) FILTER (WHERE date >= ?)::DOUBLE AS recent,
                       sum(spend)::DOUBLE AS total, count(*) FILTER (WHERE spend > 0) AS active
                FROM campaign_daily
                WHERE date BETWEEN ? AND ? AND ({_match(campaigns, "campaign_id")})
                GROUP BY ALL""",
            [start, long_start, end, *_params(campaigns)],
        )
        for r in _rows(frame):
            out[(r.platform, r.account_id, "campaign", str(r.id))] = _rates(r)
    if by_group:
        frame = warehouse.query(
            f"""WITH wanted AS (
                    SELECT DISTINCT platform, account_id, ad_id, ad_group_id FROM ad_daily
                    WHERE date BETWEEN ? AND ? AND ({_match(by_group, "ad_id", "ad_group_id")}))
                SELECT d.platform, d.account_id, w.ad_id, d.ad_group_id,
                       sum(d.spend) FILTER (WHERE d.date >= ? AND d.ad_id = w.ad_id)::DOUBLE AS ad_recent,
                       sum(d.spend) FILTER (WHERE d.date >= ?)::DOUBLE AS recent,
                       sum(d.spend)::DOUBLE AS total, count(DISTINCT d.date) FILTER (WHERE d.spend > 0) AS active,
                       sum(d.clicks) FILTER (WHERE d.date >= ?)::DOUBLE AS clicks
                FROM ad_daily d JOIN wanted w USING (platform, account_id, ad_group_id)
                WHERE d.date BETWEEN ? AND ?
                GROUP BY ALL""",
            [long_start, end, *_params(by_group, 2), start, start, start, long_start, end],
        )
        for r in _rows(frame):
            group = {
                "group_clicks_per_day": float(r.clicks or 0.0) / WINDOW_DAYS,
                "ad_group_id": str(r.ad_group_id),
            }
            ad_key = (r.platform, r.account_id, "ad", str(r.ad_id))
            if ad_key in by_group:
                out[ad_key] = {**group, "spend_per_day": float(r.ad_recent or 0.0) / WINDOW_DAYS}
            group_key = (r.platform, r.account_id, "ad_group", str(r.ad_group_id))
            if group_key in by_group and group_key not in out:
                out[group_key] = {**_rates(r), **group}
    return out


def _rates(r: Any) -> dict[str, float]:
    active = int(r.active or 0)
    return {
        "spend_per_day": float(r.recent or 0.0) / WINDOW_DAYS,
        "active_spend_per_day": float(r.total or 0.0) / active if active else 0.0,
    }


def _match(keys: list[Key], *columns: str) -> str:
    """`(platform = ? AND account_id = ? AND (col = ? OR ...)) OR ...` for the entities' ids."""
    one = " OR ".join(f"{c} = ?" for c in columns)
    return " OR ".join(f"(platform = ? AND account_id = ? AND ({one}))" for _ in keys) or "FALSE"


def _params(keys: list[Key], per_key: int = 1) -> list[Any]:
    out: list[Any] = []
    for platform, account_id, _, entity_id in keys:
        out += [platform, account_id, *([entity_id] * per_key)]
    return out


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


on_applied("memory", remember)
