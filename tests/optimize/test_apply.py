"""Budget plans: save, approve, apply to the sandbox in daily steps, dry run, rollback, audit; and the
optimizer's history from the warehouse without the days that still restate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from adops import store
from adops.connectors.sandbox import SandboxConnector
from adops.connectors.sandbox.connector import init_state
from adops.connectors.sandbox.world import RESTATEMENT_DAYS
from adops.optimize import fit_channels, load_history, plan
from adops.optimize.apply import apply_plan, rollback_plan
from adops.optimize.plans import PlanError, approve, audit_trail, get_plan, save_plan, track_outcome
from adops.optimize.sources import warehouse_history
from adops.store import events
from adops.store.db import session
from adops.store.models import BudgetPlan, BudgetPlanLine

PLATFORM = "meta"


def budgets(account_id: str) -> dict[str, float]:
    """What a fresh connector reads from the sandbox's persisted state."""
    table = SandboxConnector(PLATFORM).campaigns(account_id)
    return dict(zip(table["campaign_id"], table["daily_budget"], strict=True))


@pytest.fixture
def sandbox_plan(workspace: Path) -> tuple[int, str, dict[str, float]]:
    """A small sandbox world and an approved campaign plan over one account: +100%, −20%, locked."""
    init_state(7, date(2026, 11, 24), (3, 3))
    account = SandboxConnector(PLATFORM).world.accounts[3]
    assert account.platform == PLATFORM
    before = budgets(account.id)
    ids = sorted(before)
    factors = {ids[0]: 2.0, ids[1]: 0.8, ids[2]: 1.0}
    p = BudgetPlan(
        name="test",
        level="campaign",
        objective="conversions",
        total_budget=sum(100 * f for f in factors.values()),
        max_step=0.3,
        status="draft",
        created_at=datetime.now(UTC),
    )
    for i, cid in enumerate(ids):
        p.lines.append(
            BudgetPlanLine(
                position=i,
                channel=f"{PLATFORM}:{account.id}:{cid}",
                platform=PLATFORM,
                account_id=account.id,
                campaign_id=cid,
                current_spend=100.0,
                recommended_spend=100.0 * factors[cid],
                locked=int(factors[cid] == 1.0),
                status="pending",
            )
        )
    with session() as s:
        s.add(p)
        s.flush()
        plan_id = p.id
    return plan_id, account.id, before


def test_dry_run_changes_nothing_but_is_audited(sandbox_plan: tuple[int, str, dict[str, float]]) -> None:
    plan_id, account_id, before = sandbox_plan
    result = apply_plan(plan_id)  # dry run is the default, allowed on a draft
    assert result.dry_run and len(result.changes) == 2
    assert budgets(account_id) == before
    trail = audit_trail(plan_id)
    assert len(trail) == 2 and trail["dry_run"].all() and set(trail["status"]) == {"rehearsed"}
    assert get_plan(plan_id).status == "draft"
    with pytest.raises(PlanError, match="draft"):
        apply_plan(plan_id, dry_run=False)  # not approved yet


def test_apply_moves_budgets_in_daily_steps_and_rollback_restores(
    sandbox_plan: tuple[int, str, dict[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id, account_id, before = sandbox_plan
    up, down, locked = sorted(before)
    approve(plan_id, by="lead")
    first = apply_plan(plan_id, dry_run=False, actor="analyst")
    after = budgets(account_id)
    assert after[up] == pytest.approx(round(before[up] * 1.3, 2))  # +100% wanted, +30% today
    assert after[down] == pytest.approx(round(before[down] * 0.8, 2))  # within the limit: at once
    assert after[locked] == before[locked]
    assert first.status == "applying" and get_plan(plan_id).status == "applying"
    assert first.remaining == 1  # the −20% line arrived at once; the +100% one has days to go
    # the same day again: no second step beyond today's limit
    again = apply_plan(plan_id, dry_run=False, actor="analyst")
    assert budgets(account_id)[up] == after[up] and not again.changes

    monkeypatch.setenv("ADOPS_TODAY", "2026-11-25")  # the next day continues
    apply_plan(plan_id, dry_run=False, actor="analyst")
    assert budgets(account_id)[up] == pytest.approx(round(round(before[up] * 1.3, 2) * 1.3, 2))
    monkeypatch.setenv("ADOPS_TODAY", "2026-11-26")  # 1.3 × 1.3 × 1.3 > 2: the third step reaches it
    last = apply_plan(plan_id, dry_run=False, actor="analyst")
    assert budgets(account_id)[up] == pytest.approx(round(before[up] * 2.0, 2))
    assert last.status == "applied" and get_plan(plan_id).applied_at is not None
    assert last.remaining == 0

    trail = audit_trail(plan_id)
    real = trail[~trail["dry_run"]]
    assert (real["status"] == "applied").all() and len(real) == 4  # 3 steps up, 1 down
    ratio = real["after"] / real["before"]
    assert ((ratio <= 1.3 + 1e-6) & (ratio >= 0.7 - 1e-6)).all()

    rolled = rollback_plan(plan_id, actor="lead")
    assert rolled.status == "rolled_back"
    assert budgets(account_id) == before
    assert get_plan(plan_id).status == "rolled_back"
    assert len(audit_trail(plan_id)) == len(trail) + 2
    kinds = [e.type for e in events.recent(prefix="budget_plan")]
    assert "budget_plan.approved" in kinds and "budget_plan.apply.applied" in kinds
    assert "budget_plan.rollback.done" in kinds
    with pytest.raises(PlanError):
        rollback_plan(plan_id)


def test_runs_as_sidecar_jobs_with_progress_and_clear_failures(
    sandbox_plan: tuple[int, str, dict[str, float]],
) -> None:
    from adops import jobs
    from tests.jobs.support import run as run_job

    plan_id, account_id, before = sandbox_plan

    def run(action: str) -> jobs.Job:
        return run_job(
            jobs.enqueue("budget_plan.run", {"plan_id": plan_id, "action": action, "actor": "ops"})
        )

    dry = run("dry_run")
    assert dry.status == "done" and dry.progress == 1.0 and dry.message == f"{PLATFORM}:{account_id}"
    assert dry.result["dry_run"] and dry.result["changes"] == 2 and len(dry.result["steps"]) == 3
    assert budgets(account_id) == before
    refused = run("apply")  # a draft: the job fails with the plan's own words
    assert refused.status == "failed" and "plan" in str(refused.error) and "draft" in str(refused.error)
    approve(plan_id, by="lead")
    applied = run("apply")
    assert applied.status == "done" and applied.result["status"] == "applying"
    assert budgets(account_id) != before
    assert run("rollback").result["status"] == "rolled_back" and budgets(account_id) == before
    assert "unknown budget plan action" in str(run("delete").error)


def test_one_run_at_a_time_changes_a_plan(sandbox_plan: tuple[int, str, dict[str, float]]) -> None:
    import fcntl

    from adops import config

    plan_id, account_id, before = sandbox_plan
    approve(plan_id, by="lead")
    lock = config.home() / "locks" / f"budget-plan-{plan_id}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:  # another process (the page's job, the CLI) is applying it
        fcntl.flock(held, fcntl.LOCK_EX)
        assert apply_plan(plan_id).dry_run  # a rehearsal changes nothing: it does not wait
        with pytest.raises(PlanError, match="another run"):
            apply_plan(plan_id, dry_run=False)
        assert budgets(account_id) == before
    assert apply_plan(plan_id, dry_run=False).status == "applying"  # once it is released


def test_outcome_needs_an_applied_plan(sandbox_plan: tuple[int, str, dict[str, float]]) -> None:
    with pytest.raises(PlanError, match="not been applied"):
        track_outcome(sandbox_plan[0])


def test_history_from_the_warehouse_drops_restating_days(demo: Path) -> None:
    history = warehouse_history()
    raw = history.frame
    assert not history.empty and set(history.restating_days.values()) == {RESTATEMENT_DAYS}
    last = max(history.last_complete.values())
    assert pd.to_datetime(raw["date"]).max().date() == last
    assert last == date(2026, 11, 24) - timedelta(days=RESTATEMENT_DAYS)
    assert all(c.count(":") == 2 for c in history.channels["channel"])
    assert set(history.frame["channel"]) == set(history.channels["channel"])
    shorter = warehouse_history("account", restating_days=3)
    assert pd.to_datetime(shorter.frame["date"]).max().date() == date(2026, 11, 21)
    assert all(c.count(":") == 1 for c in shorter.channels["channel"])
    assert set(warehouse_history("platform", platforms=["meta"]).frame["channel"]) == {"meta"}


def test_plan_from_the_warehouse_is_saved_with_its_campaigns(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo workspace is shared and read-only: plans go to a store of this test's own
    monkeypatch.setenv("ADOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'plans.sqlite'}")
    store.reset()
    history = warehouse_history(accounts=["linkedin:1000300007"])
    fits = fit_channels(load_history(history.frame), n_boot=0)
    rec = plan(fits, sum(f.current_spend for f in fits))
    saved = save_plan(rec, history, name="LinkedIn", created_by="analyst")
    assert saved.status == "draft" and saved.snapshot_id == history.snapshot_id
    assert {line.campaign_id for line in saved.lines} == set(history.channels["campaign_id"])
    assert all(line.platform == "linkedin" for line in saved.lines)
    assert saved.expected_total == pytest.approx(rec.expected_total)


def test_fits_are_cached_per_snapshot_and_queued_after_a_sync(workspace) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from adops import jobs
    from adops.connectors.sandbox import init_state
    from adops.ingest import sync as run_sync
    from adops.optimize import fits
    from tests.jobs.support import run

    init_state(3, date(2026, 11, 24), (3, 4))
    run_sync(platforms=["meta"], since=date(2026, 5, 1))
    scope = fits.FitScope(platforms=("meta",))
    assert fits.cached(scope) is None
    history, curves = fits.fit(scope)
    assert curves and fits.cached(scope) is not None
    assert {c.channel for c in fits.cached(scope)[1]} == {c.channel for c in curves}  # type: ignore[index]
    # a sync job changes the snapshot: the cache misses, and the default scope is queued for fitting
    assert run(jobs.enqueue("sync", {"platforms": ["meta"], "until": "2026-11-24"})).status == "done"
    assert fits.cached(scope) is None
    queued = jobs.recent(1, kind="optimize.fit")[0]
    assert queued.status == "queued" and queued.params == fits.FitScope().to_params()
