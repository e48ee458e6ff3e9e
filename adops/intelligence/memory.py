"""Apply, dismiss, measure: what the workspace remembers about its own advice.

- `apply(id)` records the recommendation's prediction (metric, delta, interval, follow-up window,
  evidence) and starts its workflow as a **dry run** through the workflow engine: the run lists the
  changes and waits for a person to approve them (`adops workflow approve`).
- After the window (plus the days conversions restate), `measure_due()` (the daily
  `recommendations.measure` job) measures each application against a counterfactual: matched
  unchanged entities, i.e. the entity's own level before the change, moved by how the account's other
  campaigns (or ad groups, for an ad) moved over the same two windows (difference in differences).
  Every workflow run that changed a platform is measured the same way (`adops.intelligence.
  predictions` records its predictions); an undone run's are withdrawn instead. The real run that
  makes an applied recommendation's change takes its prediction over (`adopt`): one change, one
  prediction. Money is measured in the currency it was predicted in (`conversion_value` in the
  reporting currency, as the optimizer predicts it; spend in the account's).
- `ranked()` orders recommendations by expected value x the account's track record for the kind:
  the mean of realized / predicted over its measured outcomes, shrunk toward 1 with two pseudo
  outcomes, so one lucky or unlucky change does not swing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from adops import clock, warehouse
from adops.errors import InputError, NotFound
from adops.intelligence.models import (
    RecommendationApplication,
    RecommendationDismissal,
    RecommendationOutcome,
)
from adops.intelligence.recommend import LAG_DAYS, Recommendation, _rows, recommend

_ID = re.compile(r"rec_[0-9a-f]{16}")
#: a dismissed recommendation stays hidden this long
DISMISS_DAYS = 90
MAX_REASON_CHARS = 500
_COLUMNS = {
    "spend": "spend",
    "conversions": "conversions",
    "clicks": "clicks",
    # in the reporting currency (converted by adops.fx at ingestion), as the optimizer's expected value
    # is: a revenue plan's prediction and its outcome in one currency, whatever the account's
    "conversion_value": "conversion_value_reporting",
}
#: the metrics measured in the reporting currency (the others in the account's own, or no money)
REPORTING_CURRENCY = {"conversion_value"}


@dataclass(frozen=True)
class TrackRecord:
    n: int
    mean_realized_over_predicted: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "mean_realized_over_predicted": self.mean_realized_over_predicted}

    @property
    def factor(self) -> float:
        """The track record as a ranking weight: the mean ratio shrunk toward 1 (two pseudo outcomes)."""
        mean = self.mean_realized_over_predicted
        if not self.n or mean is None:
            return 1.0
        return max(0.0, min(2.0, (self.n * mean + 2.0) / (self.n + 2)))


def ranked(accounts: list[str] | None = None) -> list[Recommendation]:
    """The recommendations still open (not dismissed lately, not applied and waiting), best first."""
    recs = recommend(accounts)
    hidden = _dismissed() | _waiting()
    records = track_records()
    out = []
    for rec in recs:
        if rec.id in hidden:
            continue
        record = records.get((rec.platform, rec.account_id, rec.kind))
        rec.track_record = record.to_dict() if record else None
        rec.score = round(abs(rec.value) * (record.factor if record else 1.0), 2)
        out.append(rec)
    out.sort(key=lambda r: (-r.score, -r.confidence, r.kind, r.entity_id))
    return out


def version() -> str:
    """Changes when the recommendations could: a new warehouse snapshot, an apply, a dismissal, an outcome."""
    from sqlalchemy import func

    from adops.store import session
    from adops.warehouse import delta

    try:
        snapshot = f"{delta.root()}:{warehouse.snapshot().id}"
    except Exception:  # noqa: BLE001 - no warehouse yet: nothing to recommend, nothing to cache on
        snapshot = "none"
    with session() as s:
        counts = [
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (RecommendationApplication, RecommendationDismissal, RecommendationOutcome)
        ]
    return f"{snapshot}:{counts}"


def find(recommendation_id: str, accounts: list[str] | None = None) -> Recommendation:
    if (
        not isinstance(recommendation_id, str)
        or not recommendation_id.startswith("rec_")
        or len(recommendation_id) > 40
    ):
        raise InputError("a recommendation id looks like rec_0123456789abcdef")
    for rec in ranked(accounts):
        if rec.id == recommendation_id:
            return rec
    raise NotFound(
        f"no open recommendation {recommendation_id} (dismissed, applied, or no longer recommended)"
    )


def apply(recommendation_id: str, by: str = "") -> dict[str, Any]:
    """Record the prediction and start the workflow as a dry run; returns the application."""
    from adops.workflows import api as workflows

    rec = find(recommendation_id)
    run_id = workflows.start(
        rec.workflow["name"], rec.workflow["params"], dry_run=True, by=by or "recommendations"
    )
    application_id = record(rec, run_id, applied_at=clock.now())
    _publish(
        "recommendation.applied",
        {"id": rec.id, "kind": rec.kind, "run_id": run_id, "application": application_id},
    )
    return {"application_id": application_id, "recommendation_id": rec.id, "run_id": run_id, "dry_run": True}


def record(
    rec: Recommendation, run_id: str | None = None, on: date | None = None, applied_at: datetime | None = None
) -> int:
    """Record `rec` as applied on `on` (default today) without starting anything: for a change made
    another way (a workflow run that changed a platform), and by `apply`. Returns the application's id."""
    from adops.store import session

    day = on or clock.today()
    window = int(rec.expected_impact.get("window_days", 28))
    with session() as s:
        row = RecommendationApplication(
            recommendation_id=rec.id,
            kind=rec.kind,
            platform=rec.platform,
            account_id=rec.account_id,
            entity_type=rec.entity_type,
            entity_id=rec.entity_id,
            workflow=rec.workflow["name"],
            params=rec.workflow["params"],
            run_id=run_id,
            metric=rec.expected_impact["metric"],
            predicted_delta=float(rec.expected_impact["delta"]),
            predicted_low=float(rec.expected_impact["low"]),
            predicted_high=float(rec.expected_impact["high"]),
            window_days=window,
            evidence={**rec.evidence, "applied_on": day.isoformat(), "title": rec.title},
            applied_at=applied_at or datetime.combine(day, time(), UTC),
            due_at=datetime.combine(day + timedelta(days=window + LAG_DAYS), time(), UTC),
            status="applied",
        )
        s.add(row)
        s.flush()
        return int(row.id)


def dismiss(recommendation_id: str, reason: str, by: str = "") -> dict[str, Any]:
    """Hide a recommendation for `DISMISS_DAYS`, keeping why."""
    from adops.store import session

    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InputError("say why the recommendation is dismissed (a reason is required)")
    if len(reason) > MAX_REASON_CHARS:
        raise InputError(f"the reason is {len(reason):,} characters; the most is {MAX_REASON_CHARS}")
    rec = find(recommendation_id)
    with session() as s:
        s.add(
            RecommendationDismissal(
                recommendation_id=rec.id,
                kind=rec.kind,
                account_id=rec.account_id,
                reason=reason,
                dismissed_by=" ".join(str(by).split())[:100],
                dismissed_at=clock.now(),
            )
        )
    _publish("recommendation.dismissed", {"id": rec.id, "kind": rec.kind})
    return {"recommendation_id": rec.id, "dismissed": True, "reason": reason}


# ---------------------------------------------------------------------------- outcomes


def measure_due(today: date | None = None) -> list[dict[str, Any]]:
    """Measure every application whose window (and restatement lag) has passed; returns what it stored."""
    from adops.store import session

    day = today or clock.today()
    with session() as s:
        due = s.scalars(
            select(RecommendationApplication).where(RecommendationApplication.status == "applied")
        ).all()
    out = []
    undone = _undone_runs({a.run_id for a in due if a.run_id})
    for app in due:
        if app.run_id in undone:  # the workflow run was undone: its change no longer stands
            _withdraw(app.id)
            continue
        if app.due_at.date() > day:
            continue
        measured = measure(app)
        with session() as s:
            row = s.get(RecommendationApplication, app.id)
            if row is None or row.status != "applied":
                continue
            ratio = measured["delta"] / app.predicted_delta if app.predicted_delta else None
            s.add(
                RecommendationOutcome(
                    application_id=app.id,
                    measured_delta=measured["delta"],
                    realized_over_predicted=ratio,
                    method=measured["method"],
                    details=measured,
                    measured_at=clock.now(),
                )
            )
            row.status = "measured"
        out.append({"application_id": app.id, **measured, "realized_over_predicted": ratio})
        _publish(
            "recommendation.measured", {"application": app.id, "kind": app.kind, "delta": measured["delta"]}
        )
    return out


def _undone_runs(run_ids: set[str]) -> set[str]:
    from adops.store import session
    from adops.workflows.models import WorkflowRun

    if not run_ids:
        return set()
    with session() as s:
        return set(
            s.scalars(
                select(WorkflowRun.id).where(WorkflowRun.id.in_(run_ids), WorkflowRun.status == "undone")
            )
        )


def _withdraw(application_id: int) -> None:
    from adops.store import session

    with session() as s:
        row = s.get(RecommendationApplication, application_id)
        if row is not None and row.status == "applied":
            row.status = "withdrawn"


def measure(app: RecommendationApplication) -> dict[str, Any]:
    """The metric's change over the follow-up window against matched unchanged entities."""
    column = _COLUMNS.get(app.metric)
    if column is None:
        raise InputError(f"cannot measure metric {app.metric!r}")
    start = date.fromisoformat(app.evidence["applied_on"])
    pre = (start - timedelta(days=app.window_days), start - timedelta(days=1))
    post = (start, start + timedelta(days=app.window_days - 1))
    if app.entity_type == "ad":
        table, key, value = "ad_daily", "ad_group_id", str(app.evidence.get("ad_group_id", ""))
    elif app.entity_type == "ad_group":  # a workflow run's change of an ad group
        table, key, value = "ad_daily", "ad_group_id", app.entity_id
    else:
        table, key, value = "campaign_daily", "campaign_id", app.entity_id
    frame = warehouse.query(
        f"""SELECT ({key} = ?) AS mine, (date >= ?) AS after, sum({column})::DOUBLE AS total
            FROM {table} WHERE platform = ? AND account_id = ? AND date BETWEEN ? AND ?
            GROUP BY ALL""",
        [value, post[0], app.platform, app.account_id, pre[0], post[1]],
    )
    sums = {(bool(r.mine), bool(r.after)): float(r.total or 0.0) for r in _rows(frame)}
    mine_pre, mine_post = sums.get((True, False), 0.0), sums.get((True, True), 0.0)
    others_pre, others_post = sums.get((False, False), 0.0), sums.get((False, True), 0.0)
    trend = others_post / others_pre if others_pre > 0 else 1.0
    counterfactual = mine_pre * trend
    return {
        "metric": app.metric,
        "delta": round(mine_post - counterfactual, 2),
        "method": "matched_unchanged_did",
        "before": round(mine_pre, 2),
        "after": round(mine_post, 2),
        "counterfactual": round(counterfactual, 2),
        "others_trend": round(trend, 4),
        **({"currency": _reporting_currency()} if app.metric in REPORTING_CURRENCY else {}),
        "pre_window": [pre[0].isoformat(), pre[1].isoformat()],
        "post_window": [post[0].isoformat(), post[1].isoformat()],
    }


def _reporting_currency() -> str:
    from adops import config

    return config.load().reporting_currency


def adopt(
    run_id: str, workflow: str, keys: Iterable[tuple[str, str, str, str]], on: date
) -> set[tuple[str, str, str, str]]:
    """The entities of a real run whose change an applied recommendation already predicted.

    `apply` records a recommendation's prediction when it starts the workflow's dry run; the real run
    that follows (the same workflow changing the same entity) is that change, not a second one. So the
    application moves to the real run (its `run_id`, so undoing the run withdraws it; measured from
    the day the change was made, the dry run kept as `evidence.dry_run_id`) and the run records no
    `workflow:<name>` prediction of its own for that entity. Returns the (platform, account, entity
    type, entity id) keys adopted."""
    from adops.store import session
    from adops.workflows.models import WorkflowRun

    wanted = set(keys)
    if not wanted:
        return set()
    taken: set[tuple[str, str, str, str]] = set()
    with session() as s:
        waiting = s.scalars(
            select(RecommendationApplication)
            .where(
                RecommendationApplication.status == "applied",
                RecommendationApplication.workflow == workflow,
                RecommendationApplication.run_id.is_not(None),
                RecommendationApplication.run_id != run_id,
                ~RecommendationApplication.recommendation_id.startswith("run:"),  # not a run's own
            )
            .order_by(RecommendationApplication.applied_at.desc(), RecommendationApplication.id.desc())
        ).all()
        mine = [a for a in waiting if (a.platform, a.account_id, a.entity_type, a.entity_id) in wanted]
        if not mine:
            return set()
        dry = set(
            s.scalars(
                select(WorkflowRun.id).where(
                    WorkflowRun.id.in_({a.run_id for a in mine}), WorkflowRun.dry_run == 1
                )
            )
        )
        for app in mine:
            key = (app.platform, app.account_id, app.entity_type, app.entity_id)
            if app.run_id not in dry or key in taken:
                continue
            app.evidence = {**(app.evidence or {}), "applied_on": on.isoformat(), "dry_run_id": app.run_id}
            app.run_id = run_id
            app.applied_at = clock.now()
            app.due_at = datetime.combine(on + timedelta(days=app.window_days + LAG_DAYS), time(), UTC)
            taken.add(key)
    if taken:
        _publish("recommendation.adopted", {"run_id": run_id, "workflow": workflow, "entities": len(taken)})
    return taken


def outcomes() -> list[dict[str, Any]]:
    """Every application with its prediction and, once measured, its outcome; newest first."""
    from adops.store import session

    with session() as s:
        rows = s.execute(
            select(RecommendationApplication, RecommendationOutcome)
            .outerjoin(
                RecommendationOutcome, RecommendationOutcome.application_id == RecommendationApplication.id
            )
            .order_by(RecommendationApplication.applied_at.desc(), RecommendationApplication.id.desc())
        ).all()
    return [
        {
            "id": app.id,
            "recommendation_id": app.recommendation_id,
            "kind": app.kind,
            "platform": app.platform,
            "account_id": app.account_id,
            "entity_type": app.entity_type,
            "entity_id": app.entity_id,
            "run_id": app.run_id,
            "workflow": app.workflow,
            "basis": (app.evidence or {}).get("basis"),
            "applied_at": app.applied_at.isoformat(),
            "status": app.status,
            "predicted": {
                "metric": app.metric,
                "delta": app.predicted_delta,
                "low": app.predicted_low,
                "high": app.predicted_high,
            },
            "measured": None
            if outcome is None
            else {
                "delta": outcome.measured_delta,
                "realized_over_predicted": outcome.realized_over_predicted,
                "method": outcome.method,
                "measured_at": outcome.measured_at.isoformat(),
            },
            "window_days": app.window_days,
        }
        for app, outcome in rows
    ]


def track_records() -> dict[tuple[str, str, str], TrackRecord]:
    """Per (platform, account, kind): how many measured outcomes, and their mean realized / predicted."""
    from adops.store import session

    with session() as s:
        rows = s.execute(
            select(
                RecommendationApplication.platform,
                RecommendationApplication.account_id,
                RecommendationApplication.kind,
                RecommendationOutcome.realized_over_predicted,
            ).join(
                RecommendationOutcome, RecommendationOutcome.application_id == RecommendationApplication.id
            )
        ).all()
    grouped: dict[tuple[str, str, str], list[float]] = {}
    for platform, account, kind, ratio in rows:
        if ratio is not None:
            grouped.setdefault((platform, account, kind), []).append(float(ratio))
    return {k: TrackRecord(len(v), round(sum(v) / len(v), 4)) for k, v in grouped.items()}


def _dismissed() -> set[str]:
    from adops.store import session

    since = clock.now() - timedelta(days=DISMISS_DAYS)
    with session() as s:
        return set(
            s.scalars(
                select(RecommendationDismissal.recommendation_id).where(
                    RecommendationDismissal.dismissed_at >= since
                )
            )
        )


def _waiting() -> set[str]:
    from adops.store import session

    with session() as s:
        return set(
            s.scalars(
                select(RecommendationApplication.recommendation_id).where(
                    RecommendationApplication.status == "applied"
                )
            )
        )


def _publish(type: str, data: dict[str, Any]) -> None:
    from adops.store import events

    events.publish(type, data)
