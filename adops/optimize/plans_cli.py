"""`adops plans`: list, show, approve, apply, roll back and track budget plans from the command line.

The same flow as the Budget page's plans panel, for scripts: `apply` and `rollback` rehearse with
`--dry-run` and exit 1 when any budget change failed. Bad input (an unknown plan, an action
the plan's status does not allow, an id that is not a number) exits 2 with one line on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adops.cli_common import AsJson, Limit, emit_json, fail, new_app

if TYPE_CHECKING:
    import pandas as pd

    from adops.optimize.apply import ApplyResult
    from adops.store.models import BudgetPlan

plans_app = new_app("Budget plans: list, show, approve, apply today's step, roll back, track the outcome.")

# the arguments several commands share
PlanId = Annotated[
    str, typer.Argument(metavar="ID", help="The plan's id (see `adops plans list`).", show_default=False)
]
By = Annotated[
    str,
    typer.Option(
        "--by",
        metavar="NAME",
        help="Who does it: recorded on the plan and in the audit trail.",
        show_default=False,
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Rehearse: write the audit rows, change no budget.")]


@plans_app.command("list")
def list_(
    limit: Limit = 50,
    as_json: AsJson = False,
) -> None:
    """List the latest budget plans, newest first."""
    from adops.optimize.plans import list_plans

    plans = list_plans(limit)
    if as_json:
        emit_json([_plan_summary(p) for p in plans])
        return
    if not plans:
        typer.echo("(no budget plans: save one from the Budget page)")
        return
    rows = [
        [
            p.id,
            p.name[:40],
            p.status,
            p.scope[:30],
            f"{p.total_budget:,.2f} {p.currency}",
            f"{p.expected_total:,.1f} {p.objective}",
            _by_at(p.created_by, p.created_at),
            _by_at(p.approved_by, p.approved_at),
        ]
        for p in plans
    ]
    headers = ["id", "name", "status", "scope", "budget/day", "expected/day", "created", "approved"]
    _echo_table(headers, rows, right={0, 4, 5})


@plans_app.command("show")
def show(
    plan_id: PlanId,
    as_json: AsJson = False,
) -> None:
    """Show a plan, its lines and its audit trail."""
    from adops.optimize.plans import audit_trail, get_plan, plan_lines

    plan = get_plan(_parse_id(plan_id))
    lines, trail = plan_lines(plan), audit_trail(plan.id)
    if as_json:
        emit_json({"plan": _plan_detail(plan), "lines": _records(lines), "audit": _records(trail)})
        return
    uplift = plan.expected_total - plan.current_expected_total
    typer.echo(f"plan {plan.id}: {plan.name} ({plan.status})")
    typer.echo(
        f"scope {plan.scope}; {plan.level} level; objective {plan.objective}; "
        f"budgets move at most {plan.max_step:.0%} a day"
    )
    typer.echo(
        f"daily budget {plan.total_budget:,.2f} {plan.currency} (now {plan.current_total:,.2f}); "
        f"expected {plan.objective}/day {plan.expected_total:,.2f} vs {plan.current_expected_total:,.2f} "
        f"now ({uplift:+,.2f})"
    )
    history = [
        ("created", plan.created_by, plan.created_at),
        ("approved", plan.approved_by, plan.approved_at),
        ("first step", None, plan.first_applied_at),
        ("applied", plan.applied_by, plan.applied_at),
        ("rolled back", plan.rolled_back_by, plan.rolled_back_at),
    ]
    done = [f"{what} {_by_at(by, at)}" for what, by, at in history if at is not None]
    if plan.applied_at is None and plan.applied_by:
        done.insert(3, f"last step by {plan.applied_by}")
    typer.echo("; ".join(done))
    if plan.notes:
        typer.echo(f"notes: {plan.notes}")
    typer.echo("\nlines:")
    _echo_table(
        ["channel", "current", "recommended", "change", "original", "target", "applied", "status"],
        [
            [
                r["channel"],
                _money(r["current_spend"]),
                _money(r["recommended_spend"]),
                _money(r["change"], sign=True),
                _money(r["original_budget"]),
                _money(r["target_budget"]),
                _money(r["applied_budget"]),
                r["status"],
            ]
            for r in _records(lines)
        ],
        right={1, 2, 3, 4, 5, 6},
    )
    typer.echo("\naudit trail:")
    if trail.empty:
        typer.echo("(nothing rehearsed or changed yet)")
        return
    _echo_table(
        ["at", "actor", "campaign", "before", "after", "dry run", "status", "error"],
        [
            [
                _when_text(r["at"]),
                r["actor"],
                f"{r['platform']}:{r['account_id']}:{r['entity_id']}",
                _money(r["before"]),
                _money(r["after"]),
                "yes" if r["dry_run"] else "no",
                r["status"],
                r["error"] or "",
            ]
            for r in _records(trail)
        ],
        right={3, 4},
    )


@plans_app.command("approve")
def approve(
    plan_id: PlanId,
    by: By,
) -> None:
    """Approve a draft plan, so that it can be applied."""
    from adops.optimize import plans

    plan = plans.approve(_parse_id(plan_id), by=_actor(by))
    typer.echo(f"plan {plan.id} approved by {plan.approved_by}: apply it with `adops plans apply {plan.id}`")


@plans_app.command("apply")
def apply(
    plan_id: PlanId,
    by: By,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Take today's step of an approved plan.

    Each budget moves at most the plan's max_step (30%) a day towards its target: run it again on the
    next days to continue. --dry-run rehearses (also a draft). Exit 1 when any change failed.
    """
    from adops.optimize.apply import apply_plan

    result = apply_plan(_parse_id(plan_id), dry_run=dry_run, actor=_actor(by))
    what = f"{len(result.changes)} budget change(s); {result.remaining} campaign(s) not yet at target."
    _report(result, what, as_json)


@plans_app.command("rollback")
def rollback(
    plan_id: PlanId,
    by: By,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Roll a plan back: budgets as before its first step.

    Every budget the plan changed is restored at once (not stepped). Exit 1 when any change failed.
    """
    from adops.optimize.apply import rollback_plan

    result = rollback_plan(_parse_id(plan_id), actor=_actor(by), dry_run=dry_run)
    restored = f"{len(result.changes)} budget(s) {'would be ' if dry_run else ''}restored."
    _report(result, restored, as_json)


@plans_app.command("outcome")
def outcome(
    plan_id: PlanId,
    as_json: AsJson = False,
) -> None:
    """Track expected against actual since the first step.

    Daily means of spend and outcome from the warehouse, leaving out days still restating; the result
    is stored on the plan.
    """
    from adops.optimize.plans import get_plan, track_outcome

    pid = _parse_id(plan_id)
    result = track_outcome(pid)
    if as_json:
        emit_json(_plain(result))
        return
    objective = get_plan(pid).objective
    if not result["days"]:
        typer.echo(
            f"no complete day since the first step on {result['since']} yet (days whose conversions "
            "still restate are left out): nothing to compare; track again after the next syncs"
        )
    else:
        typer.echo(
            f"since {result['since']}, daily means over {result['days']} complete day(s) "
            "(days whose conversions still restate are left out):"
        )
        typer.echo(
            f"spend {_money(result['actual_spend'])} actual vs {_money(result['expected_spend'])} planned; "
            f"{objective} {_money(result['actual'])} actual vs {_money(result['expected'])} expected "
            f"({_money(result['baseline_expected'])} expected before the plan)"
        )
    channels: list[dict[str, Any]] = result["channels"]  # type: ignore[assignment]
    _echo_table(
        ["channel", "days", "planned spend", "actual spend", "expected", "actual"],
        [
            [
                c["channel"],
                c["days"],
                _money(c["expected_spend"]),
                _money(c["actual_spend"]),
                _money(c["expected"]),
                _money(c["actual"]),
            ]
            for c in channels
        ],
        right={1, 2, 3, 4, 5},
    )


# ---------------------------------------------------------------------------- helpers


def _parse_id(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        fail(f"plan id '{text}' is not a whole number (see `adops plans list`)")
    if value < 1:
        fail(f"plan id {value} is not a plan's id: ids start at 1 (see `adops plans list`)")
    return value


def _actor(name: str) -> str:
    if not name.strip():
        fail("--by must name who does it (it goes into the audit trail)")
    return name.strip()


def _report(result: ApplyResult, what: str, as_json: bool) -> None:
    """A run's steps and its one-line summary (as on the Budget page); exit 1 when a change failed."""

    if as_json:
        emit_json(result.to_dict())
    else:
        _echo_table(
            ["campaign", "before", "after", "target", "status", "note"],
            [
                [s.channel, _money(s.before), _money(s.after), _money(s.target), s.status, s.note]
                for s in result.steps
            ],
            right={1, 2, 3},
        )
        head = "Dry run: nothing changed." if result.dry_run else f"Plan is now {result.status}."
        if result.failed:
            typer.echo(f"{head} {len(result.failed)} change(s) failed; see the audit trail.")
        else:
            typer.echo(f"{head} {what}")
    for step in result.failed:
        typer.echo(f"  {step.channel} failed: {step.note}", err=True)
    if result.failed:
        raise typer.Exit(1)


def _plan_summary(plan: BudgetPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "status": plan.status,
        "scope": plan.scope,
        "level": plan.level,
        "objective": plan.objective,
        "daily_budget": plan.total_budget,
        "currency": plan.currency,
        "current_total": plan.current_total,
        "expected_total": plan.expected_total,
        "current_expected_total": plan.current_expected_total,
        "created_by": plan.created_by,
        "created_at": _when(plan.created_at),
        "approved_by": plan.approved_by,
        "approved_at": _when(plan.approved_at),
        "applied_by": plan.applied_by,
        "first_applied_at": _when(plan.first_applied_at),
        "applied_at": _when(plan.applied_at),
        "rolled_back_by": plan.rolled_back_by,
        "rolled_back_at": _when(plan.rolled_back_at),
    }


def _plan_detail(plan: BudgetPlan) -> dict[str, Any]:
    return _plain(
        {
            **_plan_summary(plan),
            "uplift": plan.expected_total - plan.current_expected_total,
            "uplift_low": plan.uplift_low,
            "uplift_high": plan.uplift_high,
            "max_step": plan.max_step,
            "snapshot_id": plan.snapshot_id,
            "notes": plan.notes,
            "outcome": plan.outcome,
            "outcome_at": _when(plan.outcome_at),
        }
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows with plain JSON values: None for missing, ISO text for times, Python numbers."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


def _plain(value: Any) -> Any:
    import math

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is not None and type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing values
        return None
    if isinstance(value, datetime):  # pandas' Timestamp too
        return _when(value)
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _when(at: datetime | None) -> str | None:
    """Store times are UTC (SQLite hands them back without a zone)."""
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def _when_text(at: str | None) -> str:
    """An ISO time (as `_when` writes it) to the minute, for tables."""
    return f"{datetime.fromisoformat(at):%Y-%m-%d %H:%M}" if at else "-"


def _by_at(by: str | None, at: datetime | None) -> str:
    if at is None:
        return "-"
    return f"{at:%Y-%m-%d %H:%M}" + (f" by {by}" if by else "")


def _money(value: Any, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return f"{value:+,.2f}" if sign else f"{value:,.2f}"


def _echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: set[int]) -> None:
    """A plain aligned table: numbers (columns in `right`) right-aligned, the rest left-aligned."""
    if not rows:
        typer.echo("(none)")
        return
    cells = [[str(h) for h in headers], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for row in cells:
        text = "  ".join(v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(row))
        typer.echo(text.rstrip())
