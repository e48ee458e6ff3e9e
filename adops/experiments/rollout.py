"""Rolling out an experiment's winner: pause the losers, move their budget, through the connectors.

Three steps, so nothing reaches a platform by accident:

1. `plan(experiment_id)` reads the current status and budgets from the platforms and lists the
   actions: enable the winner if it is paused, pause every losing campaign, ad group or ad, and
   where the variants are campaigns of the winner's account, add the losers' daily budgets to the
   winner's campaign. Nothing is written.
2. `run(experiment_id, actor)` is a dry run by default: it writes the plan to the audit log as
   rehearsed rows (`dry_run` = 1) and changes nothing on any platform.
3. `run(experiment_id, actor, approve=True, fingerprint=plan.fingerprint)` applies it. The
   fingerprint is the plan the approver reviewed: when the platforms changed since, the run refuses
   instead of applying a plan nobody saw. Each change is written to the audit log with its before and
   after values, status ("applied", "failed", "skipped") and error; when all succeed the experiment
   becomes "rolled out".

Losers are paused before any budget moves, and the budget of a loser that could not be paused is
never moved, so a failed step can lose some delivery but never adds spend. Events:
`experiment.rollout.rehearsed`, `experiment.rollout.applied`, `experiment.rollout.failed`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select

from adops import config
from adops.connectors import Connector, connector_for, workspace_accounts
from adops.connectors.base import Status
from adops.errors import Conflict
from adops.experiments import store
from adops.store import events
from adops.store.db import session
from adops.store.models import AuditEntry

__all__ = ["Action", "Outcome", "RolloutError", "RolloutPlan", "RolloutResult", "audit_trail", "plan", "run"]

ActionKind = Literal["enable", "pause", "set_daily_budget"]


class RolloutError(Conflict):
    """The rollout cannot be planned or approved as asked; the message says why."""


@dataclass(frozen=True)
class Action:
    """One change on one platform entity; `before` is what the platform reported when planning."""

    variant: str
    platform: str
    account_id: str
    entity: str  # campaign|ad_group|ad
    entity_id: str
    action: ActionKind
    before: str | float | None
    after: str | float
    reason: str


@dataclass(frozen=True)
class RolloutPlan:
    experiment_id: int
    experiment_key: str
    winner: str
    actions: tuple[Action, ...]
    notes: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """A short hash of what the plan would change, for the approver to confirm."""
        body = [
            [a.platform, a.account_id, a.entity, a.entity_id, a.action, a.before, a.after]
            for a in self.actions
        ]
        return hashlib.sha256(json.dumps(body, default=str).encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (a job's result); `from_dict` reads it back."""
        return {
            "experiment_id": self.experiment_id,
            "experiment_key": self.experiment_key,
            "winner": self.winner,
            "fingerprint": self.fingerprint,
            "actions": [asdict(a) for a in self.actions],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RolloutPlan:
        return cls(
            int(data["experiment_id"]),
            str(data["experiment_key"]),
            str(data["winner"]),
            tuple(Action(**a) for a in data["actions"]),
            tuple(data["notes"]),
        )

    def frame(self) -> pd.DataFrame:
        """The plan as a table: one row per action."""
        columns = [
            "variant",
            "platform",
            "account_id",
            "entity",
            "entity_id",
            "action",
            "before",
            "after",
            "reason",
        ]
        rows = [{c: getattr(a, c) for c in columns} for a in self.actions]
        for row in rows:
            row["before"], row["after"] = _show(row["before"]), _show(row["after"])
        return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Outcome:
    action: Action
    status: str  # rehearsed|applied|failed|skipped
    error: str | None = None
    audit_id: int | None = None


@dataclass(frozen=True)
class RolloutResult:
    plan: RolloutPlan
    dry_run: bool
    outcomes: tuple[Outcome, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (a job's result): the status, the plan and every step's outcome."""
        return {
            "status": self.status,
            "dry_run": self.dry_run,
            "plan": self.plan.to_dict(),
            "outcomes": [{**asdict(o.action), "status": o.status, "error": o.error} for o in self.outcomes],
        }

    @property
    def status(self) -> str:
        """ "rehearsed", "applied", "partial" (some steps failed or were skipped) or "failed"."""
        if self.dry_run:
            return "rehearsed"
        done = [o.status == "applied" for o in self.outcomes]
        if all(done):
            return "applied"
        return "partial" if any(done) else "failed"


def plan(experiment_id: int) -> RolloutPlan:
    """What rolling out the declared winner would change, read from the platforms now."""
    exp = _experiment(experiment_id)
    winner = exp.variant(exp.winner) if exp.winner else None
    if winner is None or not (exp.status.startswith("winner: ") or exp.status == "rolled out"):
        raise RolloutError(
            f"{exp.name} has no declared winner (status {exp.status!r}); declare one before rolling out"
        )
    states = _States()
    actions: list[Action] = []
    notes: list[str] = []
    if states.status(winner) == "PAUSED":
        actions.append(_action(winner, "enable", "PAUSED", "ENABLED", "the winner must serve"))
    moved: list[tuple[store.Variant, float]] = []
    for loser in exp.variants:
        if loser.name == winner.name:
            continue
        status = states.status(loser)
        if status == "PAUSED":
            notes.append(f"{loser.name}: {loser.level} {loser.entity_id} is already paused")
        else:
            actions.append(_action(loser, "pause", status, "PAUSED", f"lost to {winner.name}"))
        if loser.level == "campaign" and winner.level == "campaign":
            if (loser.platform, loser.account_id) != (winner.platform, winner.account_id):
                notes.append(
                    f"{loser.name}: budget not moved; campaign {loser.entity_id} is in another account "
                    f"({loser.platform}:{loser.account_id}), so its budget is a different platform's or currency's"
                )
            elif (budget := states.budget(loser)) and status != "PAUSED":
                moved.append((loser, budget))
    if moved:
        current = states.budget(winner) or 0.0
        total = current + sum(b for _, b in moved)
        names = ", ".join(v.name for v, _ in moved)
        actions.append(
            _action(winner, "set_daily_budget", current, round(total, 2), f"adds the daily budget of {names}")
        )
    elif winner.level != "campaign":
        notes.append(
            "variants are ad groups or ads: the paused losers' traffic flows to the winner within its campaign"
        )
    return RolloutPlan(exp.id, exp.key, winner.name, tuple(actions), tuple(notes))


def run(
    experiment_id: int, actor: str, approve: bool = False, fingerprint: str | None = None
) -> RolloutResult:
    """Rehearse (default) or, with `approve`, apply the rollout; every step goes to the audit log.

    With `approve`, `fingerprint` must be the reviewed plan's; a plan that changed since is refused.
    """
    if not actor or not actor.strip():
        raise RolloutError("say who approves the rollout (actor)")
    current = plan(experiment_id)
    if approve and fingerprint != current.fingerprint:
        raise RolloutError(
            "the plan changed since it was reviewed (or none was given); review the new plan and approve it"
        )
    reference = f"experiment:{current.experiment_key}"
    if not approve:
        outcomes = tuple(
            Outcome(a, "rehearsed", None, _audit(a, actor, reference, True, "rehearsed", None))
            for a in current.actions
        )
        result = RolloutResult(current, True, outcomes)
        events.publish("experiment.rollout.rehearsed", _event(current, result, actor))
        return result

    done: list[Outcome] = []
    failed_pauses: set[str] = set()
    for a in current.actions:
        if a.action == "set_daily_budget" and failed_pauses:
            error = f"not moved: {', '.join(sorted(failed_pauses))} could not be paused"
            done.append(Outcome(a, "skipped", error, _audit(a, actor, reference, False, "skipped", error)))
            continue
        try:
            before = _apply(a)
        except Exception as exc:  # recorded and reported; the other steps go on
            error = f"{type(exc).__name__}: {exc}"
            if a.action == "pause":
                failed_pauses.add(a.variant)
            done.append(Outcome(a, "failed", error, _audit(a, actor, reference, False, "failed", error)))
            continue
        applied = Action(
            a.variant, a.platform, a.account_id, a.entity, a.entity_id, a.action, before, a.after, a.reason
        )
        done.append(
            Outcome(applied, "applied", None, _audit(applied, actor, reference, False, "applied", None))
        )
    result = RolloutResult(current, False, tuple(done))
    if result.status == "applied":
        store.update(experiment_id, actor=actor, status="rolled out")
        events.publish("experiment.rollout.applied", _event(current, result, actor))
    else:
        events.publish("experiment.rollout.failed", _event(current, result, actor))
    return result


def audit_trail(experiment_id: int) -> pd.DataFrame:
    """Every rehearsed or applied change of this experiment's rollouts, newest first."""
    exp = _experiment(experiment_id)
    with session() as s:
        rows = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.reference == f"experiment:{exp.key}")
                .order_by(AuditEntry.id.desc())
            )
        )
    columns = [
        "id",
        "at",
        "actor",
        "platform",
        "account_id",
        "entity",
        "entity_id",
        "action",
        "before",
        "after",
        "dry_run",
        "status",
        "error",
    ]
    return pd.DataFrame(
        [
            {
                **{c: getattr(r, c) for c in columns},
                "before": _show(r.before),
                "after": _show(r.after),
                "dry_run": bool(r.dry_run),
            }
            for r in rows
        ],
        columns=columns,
    )


# ---------------------------------------------------------------- helpers


def _experiment(experiment_id: int) -> store.ExperimentRecord:
    exp = store.get(experiment_id)
    if exp is None:
        raise RolloutError(f"no experiment {experiment_id}")
    return exp


def _action(v: store.Variant, kind: ActionKind, before: Any, after: Any, reason: str) -> Action:
    return Action(v.name, v.platform, v.account_id, v.level, v.entity_id, kind, before, after, reason)


class _States:
    """Current statuses and budgets, read once per account through its connector."""

    def __init__(self) -> None:
        self._campaigns: dict[tuple[str, str], pd.DataFrame] = {}
        self._ads: dict[tuple[str, str], pd.DataFrame] = {}

    def status(self, v: store.Variant) -> str:
        if v.level == "campaign":
            match = self._campaign_frame(v)
            match = match[match.campaign_id == v.entity_id]
        else:
            frame = self._ad_frame(v)
            match = (
                frame[frame.ad_id == v.entity_id]
                if v.level == "ad"
                else frame[frame.ad_group_id == v.entity_id]
            )
        if match.empty:
            raise RolloutError(f"{v.name}: no {v.level} {v.entity_id} in {v.platform} account {v.account_id}")
        statuses = set(match["status"].astype(str))
        return "ENABLED" if "ENABLED" in statuses else statuses.pop()

    def budget(self, v: store.Variant) -> float | None:
        frame = self._campaign_frame(v)
        match = frame[frame.campaign_id == v.entity_id]
        if match.empty or pd.isna(match.iloc[0]["daily_budget"]):
            return None
        return float(match.iloc[0]["daily_budget"])

    def _campaign_frame(self, v: store.Variant) -> pd.DataFrame:
        key = (v.platform, v.account_id)
        if key not in self._campaigns:
            self._campaigns[key] = _read(v, lambda c: c.campaigns(v.account_id))
        return self._campaigns[key]

    def _ad_frame(self, v: store.Variant) -> pd.DataFrame:
        key = (v.platform, v.account_id)
        if key not in self._ads:
            self._ads[key] = _read(v, lambda c: c.ads(v.account_id))
        return self._ads[key]


def _read(v: store.Variant, fn: Any) -> pd.DataFrame:
    connector = _connector(v.platform, v.account_id)
    try:
        frame = fn(connector)  # the connector's HTTP layer retries each request; nothing retries again here
    except Exception as exc:
        raise RolloutError(f"could not read {v.platform} account {v.account_id}: {exc}") from exc
    return frame  # type: ignore[no-any-return]


def _connector(platform: str, account_id: str) -> Connector:
    for account in workspace_accounts(config.load(), [platform]):
        if account.id == account_id:
            return connector_for(account)
    raise RolloutError(
        f"{platform} account {account_id} is not in this workspace; add it to adops.toml to change it"
    )


def _apply(a: Action) -> str | float | None:
    """Push one change through the account's connector (its HTTP layer retries transient errors); returns `before`."""
    connector = _connector(a.platform, a.account_id)
    if a.action == "set_daily_budget":
        return connector.set_daily_budget(a.account_id, a.entity_id, float(a.after))
    status: Status = "PAUSED" if a.action == "pause" else "ENABLED"
    entity: Any = a.entity
    return connector.set_status(a.account_id, entity, a.entity_id, status)


def _audit(a: Action, actor: str, reference: str, dry_run: bool, status: str, error: str | None) -> int:
    field = "daily_budget" if a.action == "set_daily_budget" else "status"
    with session() as s:
        row = AuditEntry(
            at=datetime.now(UTC),
            actor=actor,
            platform=a.platform,
            account_id=a.account_id,
            entity=a.entity,
            entity_id=a.entity_id,
            action=a.action,
            before={field: a.before},
            after={field: a.after},
            dry_run=int(dry_run),
            status=status,
            error=error,
            reference=reference,
        )
        s.add(row)
        s.flush()
        return int(row.id)


def _event(p: RolloutPlan, result: RolloutResult, actor: str) -> dict[str, Any]:
    return {
        "experiment_id": p.experiment_id,
        "winner": p.winner,
        "actor": actor,
        "status": result.status,
        "actions": len(p.actions),
        "errors": [o.error for o in result.outcomes if o.error],
    }


def _show(value: Any) -> str:
    """A before/after value as text: budgets with two decimals, statuses as they are."""
    if isinstance(value, dict):
        return ", ".join(_show(v) for v in value.values()) if value else ""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:,.2f}"
    return str(value)
