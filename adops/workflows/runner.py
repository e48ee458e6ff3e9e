"""The workflow runs as DBOS workflows (imported by the sidecar through `adops.jobs.workflows`).

`workflow.run` — one run of any registered workflow:

1. `start`, then `plan`: the workflow reads the platforms and proposes its exact changes (stored);
2. a dry run stops here (its follow-up steps marked `in_dry_run` still run): nothing changed;
3. a run with changes is approved automatically only when `[workflows.NAME]` allows it (budgets and
   bids moving by at most `auto_approve_max_change`); otherwise it records `awaiting_approval` and
   its job ends there. The approval (`adops workflow approve`, the page, a webhook) records who
   approved and queues `workflow.apply` (job id `<run_id>.apply`, so a replayed approval never
   queues it twice), which carries the run on from step 4;
4. each change is its own step: it reads the current value first, writes only when the platform
   does not have it yet, and records the change and its audit row in one transaction, so a step
   repeated after a crash neither writes twice nor records twice;
5. a failing change compensates: the changes already made are reverted, newest first, and the run
   is `failed`; otherwise the workflow's follow-up steps run and the run `succeeded`.

Why not a DBOS `recv` inside the run: a thread waiting in `recv` for hours keeps its process from
exiting (DBOS's `destroy` leaves it polling until the timeout; measured: `adops workflow run`
hung at exit), so a sidecar with a run awaiting approval could not stop gracefully. The approval
is durable all the same: it is a row in `workflow_approvals` and a queued job in DBOS.

`workflow.undo` reverts a succeeded run's changes newest first (status `undone`); `workflow.approve`
is the job an incoming webhook starts to approve a run. Every step is recorded in `workflow_steps`
and published (`workflow.step`), with `workflow.started`, `.awaiting_approval`, `.approved`,
`.succeeded`, `.failed`, `.undone` around them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbos import DBOS, StepOptions

from adops.errors import Conflict, InputError
from adops.store import locks
from adops.store.db import session
from adops.store.models import AuditEntry
from adops.workflows import approval, records
from adops.workflows.engine import Change, Context, Step, applied_hooks, field_spec, get, iter_changes
from adops.workflows.models import WorkflowChange, WorkflowRun

MAX_RECOVERY_ATTEMPTS = 10
MAX_ERROR_CHARS = 1000
CHANGE_LOCK = "workflow-changes"


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _step(run_id: str, name: str, fn: Callable[..., Any], *args: Any) -> Any:
    """A checkpointed step that is also recorded in workflow_steps and published."""

    def body() -> Any:
        records.step_started(run_id, name)
        try:
            out = fn(*args)
        except Exception as exc:
            records.step_finished(run_id, name, "failed", None, error_text(exc))
            raise
        records.step_finished(run_id, name, "succeeded", out if isinstance(out, dict) else {"result": out})
        return out

    return DBOS.run_step(StepOptions(name=name[:200]), body)


# ---------------------------------------------------------------------------- the run


@DBOS.workflow(name="workflow.run", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def run_job(params: dict[str, Any]) -> dict[str, Any]:
    """One run of a registered workflow, up to its approval (see the module)."""
    return execute(str(DBOS.workflow_id))


@DBOS.workflow(name="workflow.apply", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def apply_job(params: dict[str, Any]) -> dict[str, Any]:
    """An approved run's changes and follow-up steps (queued by the approval)."""
    return carry_on(str(params["run_id"]))


def execute(run_id: str) -> dict[str, Any]:
    head: dict[str, Any] = _step(run_id, "start", _start, run_id)
    try:
        plan: dict[str, Any] = _step(run_id, "plan", _plan, run_id)
    except Exception as exc:
        _step(run_id, "finish", _finish, run_id, "failed", error_text(exc))
        raise
    if head["dry_run"]:
        _follow_ups(run_id, head, dry_run=True)
        return dict(_step(run_id, "finish", _finish, run_id, "succeeded", None))
    if plan["changes"]:
        policy: dict[str, Any] = _step(run_id, "approval", approval.decide, run_id)
        if not policy["auto"]:
            return dict(_step(run_id, "await approval", _await, run_id))
    return _changes_and_follow_ups(run_id, head, plan)


def carry_on(run_id: str) -> dict[str, Any]:
    """After a person's approval: check it, then the changes and follow-ups."""
    decision: dict[str, Any] = _step(run_id, "approval received", _received, run_id)
    if decision["status"] != "approved":
        return dict(_step(run_id, "finish", _finish, run_id, "cancelled", decision["why"]))
    run = records.load(run_id)
    return _changes_and_follow_ups(
        run_id, {"workflow": run.workflow}, {"changes": len(records.changes(run_id))}
    )


def _changes_and_follow_ups(run_id: str, head: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    if plan["changes"]:
        try:
            _apply_all(run_id, head, plan)
        except Exception as exc:
            _step(run_id, "compensate", _revert_all, run_id, "compensate")
            _step(run_id, "finish", _finish, run_id, "failed", error_text(exc))
            raise
        _step(run_id, "remember prediction", _remember, run_id)
    try:
        _follow_ups(run_id, head, dry_run=False)
    except Exception as exc:
        _step(run_id, "finish", _finish, run_id, "failed", error_text(exc))
        raise
    return dict(_step(run_id, "finish", _finish, run_id, "succeeded", None))


def _start(run_id: str) -> dict[str, Any]:
    run = records.set_status(run_id, "running", started_at=records.now())
    records.publish("workflow.started", run, requested_by=run.requested_by)
    return {"workflow": run.workflow, "params": run.params, "dry_run": bool(run.dry_run)}


def _context(run: WorkflowRun) -> Context:
    return Context(run.id, run.workflow, bool(run.dry_run), run.approved_by or run.requested_by)


def _plan(run_id: str) -> dict[str, Any]:
    run = records.load(run_id)
    wf = get(run.workflow)
    params = wf.parse(run.params)
    result = wf.plan(params, _context(run))
    changes = [c for _, c in iter_changes(result.changes)]
    output = dict(result.output)
    if result.predictions:
        output["predictions"] = [p.to_dict() for p in result.predictions]
    records.save_plan(run_id, changes, result.notes, output)
    return {"changes": len(changes), "notes": result.notes[:20]}


def _await(run_id: str) -> dict[str, Any]:
    run = records.set_status(run_id, "awaiting_approval")
    records.publish("workflow.awaiting_approval", run, changes=len(records.changes(run_id)))
    return {"status": "awaiting_approval"}


def _received(run_id: str) -> dict[str, Any]:
    """The decision recorded for the run (the approval row is the one source of truth)."""
    found = records.approval(run_id)
    if found is None or found.decision != "approve":
        who = f"{found.decision} by {found.by}" if found else "no approval recorded"
        return {"status": "cancelled", "why": who}
    run = records.set_status(run_id, "running", approved_by=found.by, approved_at=found.at)
    records.publish("workflow.approved", run, by=found.by, source=found.source)
    return {"status": "approved", "by": found.by, "source": found.source}


def _finish(run_id: str, status: str, error: str | None) -> dict[str, Any]:
    run = records.load(run_id)
    if run.status in records.FINISHED and run.finished_at is not None:
        return {"status": run.status}  # a repeated finish after a crash
    run = records.set_status(run_id, status, error=error)
    event = {"succeeded": "workflow.succeeded", "failed": "workflow.failed", "cancelled": "workflow.failed"}[
        status
    ]
    severity = "warning" if status == "failed" else "info"
    records.publish(event, run, error=error, severity=severity)
    return {"status": status, "error": error}


def _follow_ups(run_id: str, head: dict[str, Any], dry_run: bool) -> None:
    wf = get(head["workflow"])
    wanted = [s for s in wf.steps if s.in_dry_run or not dry_run]
    if not wanted:
        return
    # read once for all the follow-ups: the params, the plan's output and the applied changes no
    # longer change once the changes are made (a replay after a crash reads the same)
    params, ctx = _follow_up_inputs(run_id)
    for s in wanted:
        _step(run_id, s.name, _follow_up, s, params, ctx)


def _follow_up_inputs(run_id: str) -> tuple[Any, Context]:
    run = records.load(run_id)
    ctx = _context(run)
    ctx.applied = [records.as_change(c) for c in records.changes(run_id) if c.status == "applied"]
    ctx.plan_output = dict(run.output or {})
    return get(run.workflow).parse(run.params), ctx


def _follow_up(step: Step, params: Any, ctx: Context) -> dict[str, Any]:
    return dict(step.fn(params, ctx))


def _remember(run_id: str) -> dict[str, Any]:
    """The applied changes handed to the `on_applied` hooks (the memory records what they predicted)."""
    run = records.load(run_id)
    rows = records.changes(run_id)
    created = {r.key: str(r.result) for r in rows if r.key and r.status == "applied" and r.result is not None}
    applied = []
    for row in rows:
        if row.status != "applied":
            continue
        entity_id = row.entity_id
        if field_spec(row.field).creates and row.result is not None:
            entity_id = str(row.result)
        elif entity_id.startswith("@"):
            entity_id = created.get(entity_id[1:], entity_id)
        applied.append({**records.as_change(row).to_dict(), "entity_id": entity_id, "replaced": row.replaced})
    own = list((run.output or {}).get("predictions") or [])
    return {name: hook(run_id, run.workflow, applied, own) for name, hook in applied_hooks().items()}


# ---------------------------------------------------------------------------- applying changes


def _apply_all(run_id: str, head: dict[str, Any], plan: dict[str, Any]) -> None:
    wf = get(head["workflow"])
    if wf.apply is not None:
        _step(run_id, "apply", _custom_apply, run_id)
        return
    rows = records.changes(run_id)
    for row in rows:
        _step(
            run_id,
            f"change {row.position + 1}: {records.as_change(row).label}"[:200],
            apply_change,
            run_id,
            row.position,
        )


def _custom_apply(run_id: str) -> dict[str, Any]:
    run = records.load(run_id)
    wf = get(run.workflow)
    assert wf.apply is not None
    planned = [records.as_change(c) for c in records.changes(run_id)]
    done = wf.apply(wf.parse(run.params), _context(run), planned)
    with session() as s:
        for planned_row in s.query(WorkflowChange).filter(WorkflowChange.run_id == run_id):
            planned_row.status = "skipped"
        for c in done:
            row = (
                s.query(WorkflowChange)
                .filter_by(
                    run_id=run_id,
                    platform=c.platform,
                    account_id=c.account_id,
                    entity_id=c.entity_id,
                    field=c.field,
                )
                .first()
            )
            if row is None:
                continue
            row.status, row.replaced, row.after, row.applied_at = "applied", c.before, c.after, records.now()
    return {"applied": len(done)}


def apply_change(run_id: str, position: int) -> dict[str, Any]:
    """Make one planned change, once: read first, write only if needed, record with its audit row."""
    with locks.exclusive(CHANGE_LOCK, wait=300):
        run = records.load(run_id)
        row = _change_row(run_id, position)
        if row.status == "applied":
            return {"status": "applied", "repeated": True}
        change = records.as_change(row)
        spec = field_spec(change.field)
        ctx = _context(run)
        entity_id = _resolve(run_id, change.entity_id)
        try:
            conn = ctx.connector(change.platform, change.account_id)
            result: Any = None
            if spec.creates:
                current = spec.read(conn, change.account_id, change.entity_type, change.key or entity_id)
                if current is not None:
                    result, replaced = current, None  # created before a crash: found, not created again
                else:
                    result, replaced = (
                        spec.write(conn, change.account_id, change.entity_type, entity_id, change.after),
                        None,
                    )
            else:
                current = spec.read(conn, change.account_id, change.entity_type, entity_id)
                if _same(current, change.after):
                    replaced = change.before  # our write landed before a crash, or someone made it meanwhile
                else:
                    spec.write(conn, change.account_id, change.entity_type, entity_id, change.after)
                    replaced = current
        except Exception as exc:
            _record(run, row, "failed", None, None, error_text(exc), entity_id)
            raise
        _record(run, row, "applied", replaced, result, None, entity_id)
        return {"status": "applied", "before": replaced, "after": change.after, "result": result}


def _resolve(run_id: str, entity_id: str) -> str:
    """`@KEY` → the id the run's change with that key created."""
    if not entity_id.startswith("@"):
        return entity_id
    key = entity_id[1:]
    for row in records.changes(run_id):
        if row.key == key and row.status == "applied" and row.result is not None:
            return str(row.result)
    raise Conflict(f"change refers to @{key[:40]}, which the run has not created")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 0.005
    return bool(a == b)


def _change_row(run_id: str, position: int) -> WorkflowChange:
    with session() as s:
        row = s.query(WorkflowChange).filter_by(run_id=run_id, position=position).one_or_none()
        if row is None:
            raise InputError(f"run {run_id} has no change {position + 1}")
        return row


def _record(
    run: WorkflowRun,
    row: WorkflowChange,
    status: str,
    replaced: Any,
    result: Any,
    error: str | None,
    entity_id: str,
    action: str | None = None,
) -> None:
    """The change's new state and its audit row, in one transaction."""
    reverting = status == "reverted"
    with session() as s:
        stored = s.get(WorkflowChange, row.id)
        assert stored is not None
        if status == "failed" and stored.status == "applied":
            stored.error = error  # a revert that failed: the change stays applied
        else:
            stored.status, stored.error = status, error
        if status == "applied":
            stored.replaced, stored.result, stored.applied_at = replaced, result, records.now()
        if reverting:
            stored.reverted_at = records.now()
        before_value = row.after if reverting else replaced
        after_value = row.replaced if reverting else row.after
        s.add(
            AuditEntry(
                at=records.now(),
                actor=(run.undone_by if action == "undo" else run.approved_by) or run.requested_by or "adops",
                platform=row.platform,
                account_id=row.account_id,
                entity=row.entity_type,
                entity_id=entity_id,
                action=(action + "_" if action else "set_") + row.field,
                before={row.field: before_value},
                after={
                    row.field: after_value,
                    "change_key": f"{run.id}:{row.position}",
                    "reason": row.reason[:200],
                },
                dry_run=0,
                status="failed" if status == "failed" else ("reverted" if reverting else "applied"),
                error=error,
                reference=records.reference(run.id),
            )
        )


# ---------------------------------------------------------------------------- reverting


def _revert_all(run_id: str, why: str) -> dict[str, Any]:
    """Revert every applied change of the run, newest first (compensation or undo)."""
    run = records.load(run_id)
    wf = get(run.workflow)
    applied = [c for c in records.changes(run_id) if c.status == "applied"]
    if wf.undo is not None:
        wf.undo(wf.parse(run.params), _context(run), [_as_applied(c) for c in applied])
        with session() as s:
            for c in applied:
                stored = s.get(WorkflowChange, c.id)
                assert stored is not None
                stored.status, stored.reverted_at = "reverted", records.now()
        return {"reverted": len(applied)}
    failed = []
    for row in reversed(applied):
        try:
            revert_change(run_id, row.position, why)
        except Exception as exc:  # the others are still reverted; this one stays applied
            failed.append(f"change {row.position + 1}: {error_text(exc)}")
    if failed:
        raise Conflict(f"{len(failed)} change(s) could not be reverted: " + "; ".join(failed)[:800])
    return {"reverted": len(applied)}


def _as_applied(row: WorkflowChange) -> Change:
    c = records.as_change(row)
    return Change(
        c.platform, c.account_id, c.entity_type, c.entity_id, c.field, row.replaced, c.after, c.reason, c.key
    )


def revert_change(run_id: str, position: int, why: str) -> dict[str, Any]:
    """Put one applied change back to the value it replaced (once, like `apply_change`)."""
    with locks.exclusive(CHANGE_LOCK, wait=300):
        run = records.load(run_id)
        row = _change_row(run_id, position)
        if row.status != "applied":
            return {"status": row.status, "repeated": True}
        spec = field_spec(row.field)
        entity_id = (
            str(row.result) if spec.creates and row.result is not None else _resolve(run_id, row.entity_id)
        )
        action = "undo" if why == "undo" else "compensate"
        try:
            conn = _context(run).connector(row.platform, row.account_id)
            if spec.revert is not None:
                spec.revert(conn, row.account_id, row.entity_type, entity_id, row.replaced)
            elif row.replaced is None:
                raise Conflict(
                    f"{row.field} of {row.entity_type} {entity_id} had no value before: nothing to restore"
                )
            else:
                current = spec.read(conn, row.account_id, row.entity_type, entity_id)
                if not _same(current, row.replaced):
                    spec.write(conn, row.account_id, row.entity_type, entity_id, row.replaced)
        except Exception as exc:
            _record(run, row, "failed", None, None, error_text(exc), entity_id, action)
            raise
        _record(run, row, "reverted", None, None, None, entity_id, action)
        return {"status": "reverted", "restored": row.replaced}


# ---------------------------------------------------------------------------- undo and webhook approval


@DBOS.workflow(name="workflow.undo", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def undo_job(params: dict[str, Any]) -> dict[str, Any]:
    """Revert a succeeded run's changes, newest first; the run becomes `undone`."""
    run_id, by = str(params["run_id"]), str(params.get("by", ""))
    _step(run_id, "undo: start", _undo_start, run_id, by)
    rows = [c for c in records.changes(run_id) if c.status == "applied"]
    wf = get(records.load(run_id).workflow)
    try:
        if wf.undo is not None:
            _step(run_id, "undo", _revert_all, run_id, "undo")
        else:
            for row in reversed(rows):
                label = records.as_change(row).label
                _step(
                    run_id,
                    f"undo {row.position + 1}: {label}"[:200],
                    revert_change,
                    run_id,
                    row.position,
                    "undo",
                )
    except Exception as exc:
        _step(run_id, "undo: failed", _undo_failed, run_id, error_text(exc))
        raise
    return dict(_step(run_id, "undo: finish", _undo_finish, run_id))


def _undo_start(run_id: str, by: str) -> dict[str, Any]:
    run = records.load(run_id)
    if run.status not in ("succeeded", "undone"):
        raise Conflict(f"run {run_id} is {run.status}: only a succeeded run can be undone")
    records.set_status(run_id, run.status, undone_by=by)
    return {"by": by}


def _undo_finish(run_id: str) -> dict[str, Any]:
    run = records.load(run_id)
    if run.status == "undone":
        return {"status": "undone"}
    run = records.set_status(run_id, "undone", undone_at=records.now(), finished_at=run.finished_at)
    records.publish("workflow.undone", run, by=run.undone_by)
    return {"status": "undone"}


def _undo_failed(run_id: str, error: str) -> dict[str, Any]:
    run = records.set_status(
        run_id, "succeeded", error=f"undo failed: {error}", finished_at=records.load(run_id).finished_at
    )
    records.publish("workflow.failed", run, error=f"undo failed: {error}", severity="warning")
    return {"error": error}


@DBOS.workflow(name="workflow.approve", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def approve_job(params: dict[str, Any]) -> dict[str, Any]:
    """Approve a run from an incoming webhook (`[[webhooks.sources]]` rule with job = "workflow.approve")."""
    from adops.workflows import api

    def body() -> dict[str, Any]:
        if not params.get("run_id"):
            raise InputError("the webhook's rule gave no run_id to approve")
        doc = api.approve(str(params["run_id"]), str(params.get("by") or ""), source="webhook")
        return {"run_id": doc["run_id"], "status": doc["status"], "approved_by": params.get("by")}

    return dict(DBOS.run_step(StepOptions(name="approve"), body))


@DBOS.workflow(name="workflow.expire", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def expire_job(params: dict[str, Any]) -> dict[str, Any]:
    """Cancel the runs nobody approved within their workflow's approval_timeout_hours (hourly)."""
    from adops.workflows import expiry

    def body() -> dict[str, Any]:
        done = expiry.expire_due()
        return {"expired": len(done), "runs": done[:100]}

    return dict(DBOS.run_step(StepOptions(name="expire overdue runs"), body))
