"""Experiments in the operational store: create, list, get and update A/B tests, and seed the sandbox's.

An experiment maps each variant to a campaign, ad group or ad on any platform (the first variant is
the control), with a planned split, dates, a minimum detectable effect and its winner-rule settings.
Functions return plain `ExperimentRecord`s, never live ORM rows, so pages and notebooks can hold them.
Every change is an event (`experiment.created`, `experiment.updated`).

    from adops.experiments import store
    exp = store.create("Headline test", [store.Variant("A", "meta", "act_1", "ad", "123"),
                                          store.Variant("B", "meta", "act_1", "ad", "124")],
                       start=date(2026, 11, 1), end=date(2026, 11, 28), mde=0.10)
    store.update(exp.id, status="stopped")
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from adops import clock
from adops.config import PLATFORMS
from adops.errors import InputError
from adops.experiments.decision import WinnerRule
from adops.store import events
from adops.store.db import session
from adops.store.models import Experiment, ExperimentVariant

__all__ = [
    "LEVELS",
    "METRIC_NAMES",
    "STATUSES",
    "ExperimentError",
    "ExperimentRecord",
    "Variant",
    "create",
    "declare_winner",
    "get",
    "get_many",
    "list_experiments",
    "seed_sandbox_experiments",
    "update",
]

LEVELS = ("campaign", "ad_group", "ad")
#: the fixed statuses; "winner: <variant>" is the other one
STATUSES = ("draft", "running", "stopped", "rolled out")
#: metric key -> label; `adops.experiments.results.METRICS` says how each is computed
METRIC_NAMES = {
    "cvr": "Conversion rate (per click)",
    "ctr": "CTR",
    "value_per_click": "Value per click",
    "cpa": "CPA",
    "roas": "ROAS",
    "cpc": "CPC",
}
SANDBOX_KEY_PREFIX = "sandbox-"
_UPDATABLE = {
    "name",
    "hypothesis",
    "primary_metric",
    "guardrail_metrics",
    "start_date",
    "end_date",
    "mde",
    "status",
    "winner",
    "sequential_tuning",
}


class ExperimentError(InputError):
    """An experiment that cannot be stored as given; the message says what to fix."""


@dataclass(frozen=True)
class Variant:
    """One arm: a name and the platform entity that serves it, with its planned traffic share."""

    name: str
    platform: str
    account_id: str
    level: str  # campaign|ad_group|ad
    entity_id: str
    weight: float = 1.0


@dataclass(frozen=True)
class ExperimentRecord:
    """A stored experiment; `variants[0]` is the control."""

    id: int
    key: str
    name: str
    hypothesis: str
    primary_metric: str
    guardrail_metrics: tuple[str, ...]
    variants: tuple[Variant, ...]
    start_date: date
    end_date: date | None
    mde: float | None
    rule: WinnerRule
    sequential_tuning: float | None
    status: str
    winner: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def control(self) -> Variant:
        return self.variants[0]

    @property
    def treatments(self) -> tuple[Variant, ...]:
        return self.variants[1:]

    @property
    def planned_days(self) -> int | None:
        return None if self.end_date is None else (self.end_date - self.start_date).days + 1

    @property
    def planned_split(self) -> tuple[float, ...]:
        """Weights normalised to shares that sum to 1."""
        total = sum(v.weight for v in self.variants)
        return tuple(v.weight / total for v in self.variants)

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)


def create(
    name: str,
    variants: Sequence[Variant],
    start: date,
    end: date | None = None,
    hypothesis: str = "",
    primary_metric: str = "cvr",
    guardrail_metrics: Sequence[str] = (),
    mde: float | None = None,
    rule: WinnerRule | None = None,
    sequential_tuning: float | None = None,
    status: str | None = None,
    key: str | None = None,
    actor: str = "",
) -> ExperimentRecord:
    """Validate and store a new experiment; status defaults to "running" from its start day, else "draft"."""
    rule = rule or WinnerRule()
    _validate(name, variants, start, end, primary_metric, guardrail_metrics, mde, rule, sequential_tuning)
    status = status or ("running" if start <= clock.today() else "draft")
    _check_status(status, [v.name for v in variants])
    now = datetime.now(UTC)
    with session() as s:
        key = key or f"exp-{uuid.uuid4().hex[:10]}"
        if s.scalar(select(Experiment.id).where(Experiment.key == key)) is not None:
            raise ExperimentError(f"an experiment with key {key!r} already exists")
        same_name = select(Experiment.id).where(func.lower(Experiment.name) == name.strip().lower())
        if s.scalar(same_name) is not None:
            raise ExperimentError(
                f"an experiment named {name.strip()[:80]!r} already exists: pick another name"
            )
        row = Experiment(
            key=key,
            name=name.strip(),
            hypothesis=hypothesis.strip(),
            primary_metric=primary_metric,
            guardrail_metrics=list(guardrail_metrics),
            start_date=start,
            end_date=end,
            mde=mde,
            alpha=rule.alpha,
            chance_to_win_threshold=rule.chance_to_win_threshold,
            min_runtime_days=rule.min_runtime_days,
            guardrail_harm_threshold=rule.guardrail_harm_threshold,
            sequential_tuning=sequential_tuning,
            status=status,
            winner=status.removeprefix("winner: ") if status.startswith("winner: ") else None,
            created_by=actor,
            created_at=now,
            updated_at=now,
            variants=[_variant_row(i, v) for i, v in enumerate(variants)],
        )
        s.add(row)
        s.flush()
        record = _record(row)
    events.publish("experiment.created", {"experiment_id": record.id, "key": record.key, "name": record.name})
    return record


def list_experiments(status: str | None = None) -> list[ExperimentRecord]:
    """Every experiment, newest first; `status` filters ("winner" matches any "winner: X")."""
    with session() as s:
        q = select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id.desc())
        if status == "winner":
            q = q.where(Experiment.status.startswith("winner: "))
        elif status:
            q = q.where(Experiment.status == status)
        return [_record(r) for r in s.scalars(q)]


def get(experiment_id: int) -> ExperimentRecord | None:
    with session() as s:
        row = s.get(Experiment, experiment_id)
        return None if row is None else _record(row)


def get_many(experiment_ids: Sequence[int]) -> dict[int, ExperimentRecord]:
    """The experiments of these ids that exist, by id, read in one query (a batch of readouts)."""
    wanted = sorted({int(i) for i in experiment_ids})
    if not wanted:
        return {}
    with session() as s:
        return {int(r.id): _record(r) for r in s.scalars(select(Experiment).where(Experiment.id.in_(wanted)))}


def update(experiment_id: int, actor: str = "", **changes: Any) -> ExperimentRecord:
    """Change some fields (name, hypothesis, metrics, dates, mde, status, winner, sequential_tuning).

    A status "winner: X" also sets `winner`; X must be one of the variants.
    """
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ExperimentError(f"cannot update {', '.join(sorted(unknown))}")
    with session() as s:
        row = s.get(Experiment, experiment_id)
        if row is None:
            raise ExperimentError(f"no experiment {experiment_id}")
        before = {k: _jsonable(getattr(row, k)) for k in changes}
        names = [v.name for v in row.variants]
        if "status" in changes:
            _check_status(changes["status"], names)
            if changes["status"].startswith("winner: "):
                changes.setdefault("winner", changes["status"].removeprefix("winner: "))
            elif changes["status"] in ("draft", "running"):
                changes.setdefault("winner", None)
        if changes.get("winner") is not None and changes["winner"] not in names:
            raise ExperimentError(f"winner {changes['winner']!r} is not a variant ({', '.join(names)})")
        for k, v in changes.items():
            setattr(row, k, list(v) if k == "guardrail_metrics" else v)
        _validate(
            row.name,
            [_variant(v) for v in row.variants],
            row.start_date,
            row.end_date,
            row.primary_metric,
            row.guardrail_metrics,
            row.mde,
            _rule(row),
            row.sequential_tuning,
        )
        row.updated_at = datetime.now(UTC)
        record = _record(row)
    events.publish(
        "experiment.updated",
        {
            "experiment_id": experiment_id,
            "actor": actor,
            "before": before,
            "after": {k: _jsonable(v) for k, v in changes.items()},
        },
    )
    return record


def declare_winner(experiment_id: int, variant: str, actor: str = "", reason: str = "") -> ExperimentRecord:
    """Set the status to "winner: <variant>" (by the winner rule, or an analyst's call)."""
    record = update(experiment_id, actor=actor, status=f"winner: {variant}")
    events.publish(
        "experiment.winner",
        {"experiment_id": experiment_id, "winner": variant, "actor": actor, "reason": reason},
    )
    return record


def seed_sandbox_experiments(fresh: bool = False) -> list[ExperimentRecord]:
    """Store the sandbox world's planted A/B tests (control ad vs treatment ad) as running experiments.

    Idempotent for one world. Experiments seeded from an earlier world (another seed or build day)
    are replaced, since their ads and history are gone with it; with `fresh` (a rebuilt demo, whose
    sandbox state starts over) all of them are. Keys are new each time, so a new experiment never
    inherits an old one's audit trail.
    """
    from adops.connectors.sandbox import load_world

    world = load_world()
    prefix = f"{SANDBOX_KEY_PREFIX}{world.seed}-{world.anchor:%Y%m%d}-"
    planted = {f"{prefix}{e.id}-": e for e in world.experiments}
    kept: set[str] = set()
    with session() as s:
        for row in s.scalars(select(Experiment).where(Experiment.key.startswith(SANDBOX_KEY_PREFIX))):
            stem = row.key[: row.key.rfind("-") + 1]
            if fresh or stem not in planted:
                s.delete(row)
            else:
                kept.add(stem)
    out = []
    for stem, e in planted.items():
        if stem in kept:
            continue
        key = f"{stem}{uuid.uuid4().hex[:6]}"
        days = (e.end - e.start).days + 1
        out.append(
            create(
                e.name,
                [
                    Variant("control", e.platform, e.account_id, "ad", e.control_ad, 0.5),
                    Variant("new headline", e.platform, e.account_id, "ad", e.treatment_ad, 0.5),
                ],
                start=e.start,
                end=e.end,
                hypothesis=(
                    "A new headline lifts the conversion rate per click by at least 10% "
                    f"without hurting CTR or CPA ({days}-day test)."
                ),
                primary_metric="cvr",
                guardrail_metrics=("ctr", "cpa"),
                mde=0.10,
                key=key,
                actor="sandbox",
            )
        )
    return out


# ---------------------------------------------------------------- helpers


def _validate(
    name: str,
    variants: Sequence[Variant],
    start: date,
    end: date | None,
    primary_metric: str,
    guardrails: Sequence[str],
    mde: float | None,
    rule: WinnerRule,
    tuning: float | None,
) -> None:
    if not name or not name.strip():
        raise ExperimentError("give the experiment a name")
    if len(variants) < 2:
        raise ExperimentError("an experiment needs a control and at least one treatment (two variants)")
    seen: set[str] = set()
    entities: set[tuple[str, str, str, str]] = set()
    for i, v in enumerate(variants, start=1):
        label = f"variant {i}" + (f" ({v.name})" if v.name else "")
        if not v.name or not v.name.strip():
            raise ExperimentError(f"variant {i} has no name")
        if v.name in seen:
            raise ExperimentError(f"two variants are named {v.name!r}; names must differ")
        seen.add(v.name)
        if v.platform not in PLATFORMS:
            raise ExperimentError(f"{label}: unknown platform {v.platform!r} (one of {', '.join(PLATFORMS)})")
        if not v.account_id or not v.account_id.strip():
            raise ExperimentError(f"{label}: give the account id")
        if v.level not in LEVELS:
            raise ExperimentError(f"{label}: level must be campaign, ad_group or ad, not {v.level!r}")
        if not v.entity_id or not v.entity_id.strip():
            raise ExperimentError(f"{label}: give the {v.level.replace('_', ' ')} id")
        if not (math.isfinite(v.weight) and v.weight > 0):
            raise ExperimentError(f"{label}: the planned weight must be positive, not {v.weight:g}")
        entity = (v.platform, v.account_id, v.level, v.entity_id)
        if entity in entities:
            raise ExperimentError(f"{label}: another variant already uses {v.level} {v.entity_id}")
        entities.add(entity)
    if end is not None and end < start:
        raise ExperimentError(f"the end date {end} is before the start date {start}")
    if end is not None and end - start > timedelta(days=366):
        raise ExperimentError("an experiment may run at most a year; pick an earlier end date")
    for metric in (primary_metric, *guardrails):
        if metric not in METRIC_NAMES:
            raise ExperimentError(f"unknown metric {metric!r} (one of {', '.join(METRIC_NAMES)})")
    if primary_metric in guardrails:
        raise ExperimentError(f"{primary_metric} is the primary metric; it cannot also be a guardrail")
    if mde is not None and not (math.isfinite(mde) and mde > 0):
        raise ExperimentError(f"the minimum detectable effect must be a positive relative lift, not {mde:g}")
    if not 0 < rule.alpha < 0.5:
        raise ExperimentError(f"alpha must be between 0 and 0.5, not {rule.alpha:g}")
    threshold = rule.chance_to_win_threshold
    if threshold is not None and not 0.5 < threshold < 1:
        raise ExperimentError(f"the chance-to-win threshold must be between 0.5 and 1, not {threshold:g}")
    if not 0 < rule.guardrail_harm_threshold < 1:
        raise ExperimentError("the guardrail harm threshold must be between 0 and 1")
    if rule.min_runtime_days < 0:
        raise ExperimentError("the minimum runtime cannot be negative")
    if tuning is not None and not (math.isfinite(tuning) and tuning > 0):
        raise ExperimentError("the sequential tuning (planned total sample) must be positive")


def _check_status(status: str, variants: Sequence[str]) -> None:
    if status in STATUSES:
        return
    if status.startswith("winner: "):
        name = status.removeprefix("winner: ")
        if name not in variants:
            raise ExperimentError(f"winner {name!r} is not a variant ({', '.join(variants)})")
        return
    raise ExperimentError(
        f"status must be one of {', '.join(STATUSES)} or 'winner: <variant>', not {status!r}"
    )


def _variant_row(position: int, v: Variant) -> ExperimentVariant:
    return ExperimentVariant(
        position=position,
        name=v.name.strip(),
        platform=v.platform,
        account_id=v.account_id.strip(),
        level=v.level,
        entity_id=v.entity_id.strip(),
        weight=float(v.weight),
    )


def _variant(row: ExperimentVariant) -> Variant:
    return Variant(row.name, row.platform, row.account_id, row.level, row.entity_id, row.weight)


def _rule(row: Experiment) -> WinnerRule:
    return WinnerRule(
        alpha=row.alpha,
        chance_to_win_threshold=row.chance_to_win_threshold,
        min_runtime_days=row.min_runtime_days,
        guardrail_harm_threshold=row.guardrail_harm_threshold,
    )


def _record(row: Experiment) -> ExperimentRecord:
    return ExperimentRecord(
        id=int(row.id),
        key=row.key,
        name=row.name,
        hypothesis=row.hypothesis,
        primary_metric=row.primary_metric,
        guardrail_metrics=tuple(row.guardrail_metrics or ()),
        variants=tuple(_variant(v) for v in row.variants),
        start_date=row.start_date,
        end_date=row.end_date,
        mde=row.mde,
        rule=_rule(row),
        sequential_tuning=row.sequential_tuning,
        status=row.status,
        winner=row.winner,
        created_by=row.created_by,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


def _utc(moment: datetime) -> datetime:
    """SQLite drops the time zone; every stored moment is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value
