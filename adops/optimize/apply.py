"""Apply an approved budget plan through the connectors, in safe daily steps, and roll it back.

- A dry run (the default) plans the steps and changes nothing; each planned change is still written
  to the audit log (`dry_run`, status "rehearsed") so a reviewer sees exactly what would happen.
- A campaign's daily budget moves towards its target by at most `max_step` (default 30%) of the
  budget it had at the start of the day: a big move becomes several daily steps, and applying the
  plan again the next day continues it. The target budget scales today's budget by recommended /
  current spend, which carries over the account's currency and how fully the campaign spends it.
- Every change gets an `AuditEntry` (before/after, status, error) with reference `budget_plan:<id>`,
  and each run publishes an event. One failing campaign never stops the others.
- `rollback_plan` restores every budget to what it was before the plan's first step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from adops import clock, config
from adops.config import AccountConfig
from adops.connectors import ConnectorError, connector_for, workspace_accounts
from adops.optimize.plans import PlanError, get_plan, reference
from adops.store import events, locks
from adops.store.db import session
from adops.store.models import AuditEntry, BudgetPlan, BudgetPlanLine

MIN_CHANGE = 0.005  # relative: smaller moves are left alone
_PREVIEW: ContextVar[bool] = ContextVar("budget_plan_preview", default=False)  # see preview()
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class BudgetStep:
    """One campaign's budget change in a run (or why it has none)."""

    channel: str
    platform: str
    account_id: str
    campaign_id: str
    before: float | None
    after: float | None
    target: float | None
    status: str  # rehearsed | applied | failed | done | waiting | skipped
    note: str = ""

    @property
    def change(self) -> float:
        return 0.0 if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True)
class ApplyResult:
    plan_id: int
    dry_run: bool
    steps: list[BudgetStep]
    status: str  # the plan's status afterwards

    @property
    def changes(self) -> list[BudgetStep]:
        return [s for s in self.steps if s.status in ("rehearsed", "applied")]

    @property
    def failed(self) -> list[BudgetStep]:
        return [s for s in self.steps if s.status == "failed"]

    @property
    def remaining(self) -> int:
        """Campaigns not yet at their target (more daily steps to come)."""
        moving = ("rehearsed", "applied")
        return sum(
            1
            for s in self.steps
            if s.status in ("waiting", "failed")
            or (
                s.status in moving
                and s.after is not None
                and s.target is not None
                and abs(s.after - s.target) > 0.005
            )
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary with every step (a job's result, `adops plans --json`)."""
        return {
            "plan_id": self.plan_id,
            "dry_run": self.dry_run,
            "status": self.status,
            "changes": len(self.changes),
            "failed": len(self.failed),
            "remaining": self.remaining,
            "steps": [asdict(s) for s in self.steps],
        }


def apply_plan(
    plan_id: int,
    *,
    dry_run: bool = True,
    actor: str = "",
    max_step: float | None = None,
    progress: Progress | None = None,
) -> ApplyResult:
    """Take today's step of a plan (a rehearsal when `dry_run`); see the module for the rules.

    `progress(done, total, account)` is called after each account's changes.
    """
    with _exclusive(plan_id, dry_run):
        return _apply_plan(plan_id, dry_run, actor, max_step, progress)


def preview(plan_id: int, *, max_step: float | None = None) -> ApplyResult:
    """Today's step as `apply_plan(dry_run=True)` plans it, writing nothing at all (no rehearsal rows
    in the audit log, no event): what a workflow's dry run shows (adops.workflows, budget-optimization)."""
    token = _PREVIEW.set(True)
    try:
        return _apply_plan(plan_id, True, "", max_step, None)
    finally:
        _PREVIEW.reset(token)


def rollback_plan(
    plan_id: int, *, actor: str = "", dry_run: bool = False, progress: Progress | None = None
) -> ApplyResult:
    """Restore every budget the plan changed to its value before the plan's first step."""
    with _exclusive(plan_id, dry_run):
        return _rollback_plan(plan_id, actor, dry_run, progress)


# ---------------------------------------------------------------------------- internals


@contextmanager
def _exclusive(plan_id: int, dry_run: bool) -> Iterator[None]:
    """One run that changes a plan's budgets at a time, across processes (the page's job, the CLI):
    the day's step limit is read from the audit log, so two runs at once could both take it."""
    if dry_run:
        yield
        return
    with ExitStack() as held:
        try:  # a workspace lock (adops.store.locks): on PostgreSQL it holds across machines too
            held.enter_context(locks.exclusive(f"budget-plan-{plan_id}"))
        except locks.Busy:
            raise PlanError(
                f"plan {plan_id} is being applied or rolled back by another run; try again when it ends"
            ) from None
        yield


def _apply_plan(
    plan_id: int, dry_run: bool, actor: str, max_step: float | None, progress: Progress | None
) -> ApplyResult:
    plan = get_plan(plan_id)
    allowed = ("draft", "approved", "applying") if dry_run else ("approved", "applying")
    if plan.status not in allowed:
        what = "rehearsed" if dry_run else "applied"
        raise PlanError(
            f"plan {plan_id} is {plan.status}: it cannot be {what} (needs {' or '.join(allowed)})"
        )
    _check_level(plan)
    step = plan.max_step if max_step is None else max_step
    if not 0 < step <= 1:
        raise PlanError(f"max_step must be in (0, 1], not {step:g}")
    steps: list[BudgetStep] = []
    updates: dict[int, dict[str, object]] = {}
    groups = _by_account(plan)
    for done, (account, lines) in enumerate(groups, start=1):
        steps += _account_steps(plan, account, lines, dry_run, actor, step, updates)
        if progress:
            progress(done, len(groups), account.key)
    status = _finish(plan, updates, dry_run, actor, steps)
    result = ApplyResult(plan_id, dry_run, steps, status)
    kind = "rehearsed" if dry_run else ("applied" if status == "applied" else "step")
    if _PREVIEW.get():
        return result
    events.publish(
        f"budget_plan.apply.{kind}",
        {
            "plan_id": plan_id,
            "by": actor,
            "changes": len(result.changes),
            "failed": len(result.failed),
            "remaining": result.remaining,
            "status": status,
        },
    )
    return result


def _rollback_plan(plan_id: int, actor: str, dry_run: bool, progress: Progress | None) -> ApplyResult:
    plan = get_plan(plan_id)
    if plan.status not in ("applying", "applied"):
        raise PlanError(f"plan {plan_id} is {plan.status}: only an applied plan can be rolled back")
    _check_level(plan)
    steps: list[BudgetStep] = []
    updates: dict[int, dict[str, object]] = {}
    groups = _by_account(plan)
    for done, (account, lines) in enumerate(groups, start=1):
        if progress:
            progress(done - 1, len(groups), account.key)
        touched = [line for line in lines if line.original_budget is not None]
        if not touched:
            continue
        try:
            conn = connector_for(account)
            budgets = _budgets(conn, account.id)
        except ConnectorError as exc:
            steps += [
                _failed(line, None, line.original_budget, str(exc), plan, actor, dry_run) for line in touched
            ]
            continue
        for line in touched:
            now, original = budgets.get(str(line.campaign_id)), float(line.original_budget or 0.0)
            note = ""
            if line.applied_budget is not None and now is not None and abs(now - line.applied_budget) > 0.005:
                note = f"changed outside the plan since (was {line.applied_budget:,.2f})"
            if now is not None and abs(now - original) <= 0.005:
                steps.append(_step(line, now, now, original, "done", "already at the budget before the plan"))
                updates[line.id] = {"status": "rolled_back", "applied_budget": now}
                continue
            steps.append(_push(conn, plan, line, now, original, original, dry_run, actor, "rollback", note))
            if not dry_run and steps[-1].status == "applied":
                updates[line.id] = {"status": "rolled_back", "applied_budget": original}
    failed = any(s.status == "failed" for s in steps)
    status = plan.status
    if not dry_run:
        with session() as s:
            stored = s.get(BudgetPlan, plan_id)
            assert stored is not None
            for line in stored.lines:
                for key, value in updates.get(line.id, {}).items():
                    setattr(line, key, value)
            if not failed:
                stored.status, stored.rolled_back_by, stored.rolled_back_at = (
                    "rolled_back",
                    actor,
                    datetime.now(UTC),
                )
            status = stored.status
    result = ApplyResult(plan_id, dry_run, steps, status)
    events.publish(
        "budget_plan.rollback." + ("rehearsed" if dry_run else "failed" if failed else "done"),
        {"plan_id": plan_id, "by": actor, "changes": len(result.changes), "failed": len(result.failed)},
    )
    return result


def _check_level(plan: BudgetPlan) -> None:
    if plan.level != "campaign":
        raise PlanError(
            f"plan {plan.id} splits the budget by {plan.level}: only campaign plans map to daily budgets"
        )


def _by_account(plan: BudgetPlan) -> list[tuple[AccountConfig, list[BudgetPlanLine]]]:
    """The plan's campaign lines grouped by the workspace account they belong to."""
    accounts = {(a.platform, a.id): a for a in workspace_accounts(config.load())}
    groups: dict[tuple[str, str], list[BudgetPlanLine]] = defaultdict(list)
    for line in plan.lines:
        if line.campaign_id and line.platform and line.account_id:
            groups[(line.platform, line.account_id)].append(line)
    out = []
    for key, lines in groups.items():
        account = accounts.get(key) or AccountConfig(key[0], key[1], "api")
        out.append((account, lines))
    return out


def _budgets(conn: object, account_id: str) -> dict[str, float]:
    table = conn.campaigns(account_id)  # type: ignore[attr-defined]
    return {
        str(c): float(b) for c, b in zip(table["campaign_id"], table["daily_budget"], strict=True) if b == b
    }


def _account_steps(
    plan: BudgetPlan,
    account: AccountConfig,
    lines: list[BudgetPlanLine],
    dry_run: bool,
    actor: str,
    max_step: float,
    updates: dict[int, dict[str, object]],
) -> list[BudgetStep]:
    try:
        conn = connector_for(account)
        budgets = _budgets(conn, account.id)
        today = clock.today(conn.account(account.id).timezone)
    except ConnectorError as exc:
        return [_failed(line, None, line.target_budget, str(exc), plan, actor, dry_run) for line in lines]
    starts = _day_starts(plan.id, today)
    out = []
    for line in lines:
        now = budgets.get(str(line.campaign_id))
        if now is None:
            out.append(_failed(line, None, None, "campaign not found on the platform", plan, actor, dry_run))
            continue
        original = line.original_budget if line.original_budget is not None else now
        target = line.target_budget
        if target is None:
            if line.locked or line.current_spend <= 0:
                out.append(
                    _step(line, now, now, now, "skipped", "locked" if line.locked else "no current spend")
                )
                updates[line.id] = {"status": "skipped"}
                continue
            target = _round(original * line.recommended_spend / line.current_spend)
        if abs(target - now) <= max(MIN_CHANGE * now, 0.005):
            out.append(_step(line, now, now, target, "done", "at its target"))
            updates[line.id] = {"status": "done", "target_budget": target, "original_budget": original}
            continue
        base = starts.get(str(line.campaign_id), now)
        after = _round(min(max(target, base * (1 - max_step)), base * (1 + max_step)))
        if abs(after - now) <= 0.005:
            out.append(
                _step(line, now, now, target, "waiting", "today's step is taken; apply again tomorrow")
            )
            continue
        note = "" if after == target else f"step {max_step:.0%} of {base:,.2f} toward {target:,.2f}"
        step = _push(conn, plan, line, now, after, target, dry_run, actor, "apply", note, today)
        out.append(step)
        if not dry_run and step.status == "applied":
            updates[line.id] = {
                "original_budget": original,
                "target_budget": target,
                "applied_budget": after,
                "status": "done" if after == target else "moving",
            }
    return out


def _day_starts(plan_id: int, today: date) -> dict[str, float]:
    """Per campaign, the budget before the plan's first applied step today (the base of today's limit)."""
    with session() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.reference == reference(plan_id), AuditEntry.dry_run == 0)
            .where(AuditEntry.status == "applied")
            .order_by(AuditEntry.id)
        ).all()
    out: dict[str, float] = {}
    for r in rows:
        if (r.after or {}).get("day") == today.isoformat() and r.entity_id not in out:
            out[r.entity_id] = float((r.before or {}).get("daily_budget") or 0.0)
    return out


def _push(
    conn: object,
    plan: BudgetPlan,
    line: BudgetPlanLine,
    before: float | None,
    after: float,
    target: float,
    dry_run: bool,
    actor: str,
    kind: str,
    note: str = "",
    day: date | None = None,
) -> BudgetStep:
    """Set one budget (or rehearse it) and write its audit row."""
    status, error = "rehearsed", None
    if not dry_run:
        try:
            got = conn.set_daily_budget(str(line.account_id), str(line.campaign_id), after)  # type: ignore[attr-defined]
            before = float(got) if got is not None else before
            status = "applied"
        except ConnectorError as exc:
            status, error = "failed", str(exc)
    _audit(plan, line, before, after, target, dry_run, status, error, actor, kind, day)
    return _step(line, before, after if status != "failed" else before, target, status, error or note)


def _failed(
    line: BudgetPlanLine,
    before: float | None,
    target: float | None,
    error: str,
    plan: BudgetPlan,
    actor: str,
    dry_run: bool,
) -> BudgetStep:
    _audit(plan, line, before, None, target, dry_run, "failed", error, actor, "apply", None)
    return _step(line, before, before, target, "failed", error)


def _audit(
    plan: BudgetPlan,
    line: BudgetPlanLine,
    before: float | None,
    after: float | None,
    target: float | None,
    dry_run: bool,
    status: str,
    error: str | None,
    actor: str,
    kind: str,
    day: date | None,
) -> None:
    if _PREVIEW.get():
        return
    with session() as s:
        s.add(
            AuditEntry(
                at=datetime.now(UTC),
                actor=actor or "adops",
                platform=str(line.platform),
                account_id=str(line.account_id),
                entity="campaign",
                entity_id=str(line.campaign_id),
                action="set_daily_budget",
                before=None if before is None else {"daily_budget": before},
                after=None
                if after is None
                else {
                    "daily_budget": after,
                    "target": target,
                    "kind": kind,
                    "day": (day or clock.today()).isoformat(),
                },
                dry_run=int(dry_run),
                status=status,
                error=error,
                reference=reference(plan.id),
            )
        )


def _finish(
    plan: BudgetPlan,
    updates: dict[int, dict[str, object]],
    dry_run: bool,
    actor: str,
    steps: list[BudgetStep],
) -> str:
    """Store what the run changed on the plan's lines and move the plan's status."""
    if dry_run:
        return plan.status
    with session() as s:
        stored = s.get(BudgetPlan, plan.id)
        assert stored is not None
        for line in stored.lines:
            for key, value in updates.get(line.id, {}).items():
                setattr(line, key, value)
        now = datetime.now(UTC)
        if any(step.status == "applied" for step in steps) and stored.first_applied_at is None:
            stored.first_applied_at = now
        pending = [
            line for line in stored.lines if line.campaign_id and line.status not in ("done", "skipped")
        ]
        stored.applied_by = actor
        stored.status = "applying" if pending else "applied"
        if not pending:
            stored.applied_at = now
            stored.first_applied_at = stored.first_applied_at or now
        return stored.status


def _step(
    line: BudgetPlanLine,
    before: float | None,
    after: float | None,
    target: float | None,
    status: str,
    note: str = "",
) -> BudgetStep:
    return BudgetStep(
        line.channel,
        str(line.platform),
        str(line.account_id),
        str(line.campaign_id),
        before,
        after,
        target,
        status,
        note,
    )


def _round(amount: float) -> float:
    return round(float(amount), 2)
