"""Every kind of job as a DBOS workflow with named steps (imported by the sidecar only).

A workflow's own code is deterministic; everything that reads or writes the world runs in a step,
whose result DBOS checkpoints. After a crash the sidecar recovers a job where it stopped: finished
steps are not run again, the interrupted one is. So each step is safe to repeat:

- a sync re-reads its window and MERGEs (and closes the run row the killed attempt left open);
- maintenance, purges and winner decisions converge on the same state;
- budget plan steps read the day's limit from the audit log, so a repeated "apply" takes no second
  step, and a rollback restores the recorded original budgets;
- a rollout sets statuses (pause a loser, enable the winner), and approval carries the plan's
  fingerprint, so a changed plan is refused rather than applied twice.

Each job publishes `job.started`, coalesced `job.progress`, and `job.done` or `job.failed` (with the
error) to the event log. Schedules run `schedule.tick`, which enqueues the scheduled job with the
same de-duplication as a person's "Sync now": a tick never piles a second sync behind the first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from dbos import DBOS, StepOptions

from adops.errors import InputError
from adops.jobs.kinds import KINDS, options
from adops.jobs.progress import Reporter

log = logging.getLogger("adops.jobs")
MAX_ERROR_CHARS = 1000
#: a job whose process died this many times in a row is given up (failed), not recovered again
MAX_RECOVERY_ATTEMPTS = 10

Result = dict[str, Any]


def error_text(exc: BaseException) -> str:
    """`Type: message`, bounded: what the Jobs page and `job.failed` show."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def step(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(*args)` as the job's step called `name` (checkpointed; repeated only if interrupted)."""
    return DBOS.run_step(StepOptions(name=name), fn, *args)


def with_progress(kind: str, name: str, fn: Callable[[Reporter], Any]) -> Any:
    """A step whose body reports progress: `fn(report)`; the last update is written before it ends."""

    def body() -> Any:
        report = Reporter(str(DBOS.workflow_id), kind)
        try:
            return fn(report)
        finally:
            report.flush()

    return step(name, body)


def _job(kind: str, params: dict[str, Any], body: Callable[[dict[str, Any]], Result]) -> Result:
    """The frame every job shares: started, the body's steps, then done or failed (with the error)."""
    step("start", _publish, "job.started", {"job_id": DBOS.workflow_id, "kind": kind})
    try:
        result = body(params)
    except Exception as exc:  # recorded as failed; a cancel (a BaseException) passes through
        error = error_text(exc)
        step(
            "report failure",
            _publish,
            "job.failed",
            {
                "job_id": DBOS.workflow_id,
                "kind": kind,
                "error": error,
                "params": params,
                "severity": "warning",
            },
        )
        raise
    step("finish", _publish, "job.done", {"job_id": DBOS.workflow_id, "kind": kind, "result": result})
    return result


def _publish(type: str, data: dict[str, Any]) -> int:
    from adops.store import events

    return events.publish(type, data)


def enqueue_child(kind: str, params: dict[str, Any]) -> str:
    """Queue a job from inside a workflow (recorded, so a recovered parent does not queue it twice);
    an identical job already queued or running is returned instead."""
    handle = DBOS.enqueue_workflow_with_options(options(kind, params), params)  # type: ignore[arg-type]
    return str(handle.get_workflow_id())


# ---------------------------------------------------------------------------- sync and the warehouse


@DBOS.workflow(name="sync", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def sync_job(params: dict[str, Any]) -> Result:
    """Sync accounts into the warehouse; then fit curves, decide winners and scan for anomalies."""
    return _job("sync", params, _sync)


def _sync(params: dict[str, Any]) -> Result:
    summary: Result = with_progress("sync", "sync accounts", lambda report: _run_sync(params, report))
    if summary["rows"]:  # the new snapshot warms the Budget page and feeds the winner rule
        from adops.optimize.fits import FitScope

        summary["follow_ups"] = [
            enqueue_child("optimize.fit", FitScope().to_params()),
            enqueue_child("experiments.decide", {}),
            enqueue_child("anomalies.scan", {}),
            enqueue_child("forecast.run", _default_forecast_params()),
        ]
    return summary


def _default_forecast_params() -> dict[str, Any]:
    """The Forecast page's default scope, forecast after each sync so the page opens on it."""
    from adops.forecast.jobs import ForecastScope

    return ForecastScope().to_params()


def _run_sync(params: dict[str, Any], report: Reporter) -> Result:
    from adops.ingest import parts, sync

    since = date.fromisoformat(params["since"]) if params.get("since") else None
    until = date.fromisoformat(params["until"]) if params.get("until") else None
    result = sync(
        list(params.get("platforms") or []),
        since,
        until,
        trigger=str(params.get("trigger", "job"))[:20],
        progress=lambda done, total, acc: report(done / max(total, 1), f"{acc.platform}:{acc.account_id}"),
        fetch=parts.fetch_spread,  # many accounts: read by `sync.part` jobs on every worker
    )
    return {
        "run_id": result.run_id,
        "status": result.status,
        "rows": result.rows,
        "duration_s": round(result.duration_s, 2),
        "failed": [f"{a.platform}:{a.account_id}" for a in result.accounts if a.status == "failed"],
    }


@DBOS.workflow(name="warehouse.maintain", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def maintain_job(params: dict[str, Any]) -> Result:
    """Compact and vacuum the warehouse (daily), holding the writers' lock."""

    def body(_: dict[str, Any]) -> Result:
        from adops.ingest import maintain

        return {"files_removed": step("compact and vacuum", maintain)}

    return _job("warehouse.maintain", params, body)


@DBOS.workflow(name="warehouse.delete_account", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def delete_account_job(params: dict[str, Any]) -> Result:
    """Purge one account's warehouse rows (Settings → remove account → purge)."""

    def body(p: dict[str, Any]) -> Result:
        from adops import warehouse

        platform, account_id = str(p["platform"]), str(p["account_id"])
        return {"removed": step("purge account rows", warehouse.delete_account, platform, account_id)}

    return _job("warehouse.delete_account", params, body)


@DBOS.workflow(name="anomalies.scan", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def anomalies_job(params: dict[str, Any]) -> Result:
    """Scan the warehouse for anomalies, keep each once, publish `anomaly.detected` (after each sync)."""
    from adops.analytics.anomaly_store import scan_job

    return _job("anomalies.scan", params, lambda p: scan_job(p, step))


# ---------------------------------------------------------------------------- light work


@DBOS.workflow(name="experiments.decide", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def decide_job(params: dict[str, Any]) -> Result:
    """The winner rule over every running experiment: a write, so a job (after each sync)."""

    def body(_: dict[str, Any]) -> Result:
        from adops.experiments.results import decide_winners

        return {"experiments": step("decide winners", decide_winners)}

    return _job("experiments.decide", params, body)


@DBOS.workflow(name="connectors.check", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def check_job(params: dict[str, Any]) -> Result:
    """Read each account, its campaigns and yesterday's performance: one step per account."""

    def body(p: dict[str, Any]) -> Result:
        keys: list[list[str]] = step("list accounts", _account_keys, list(p.get("platforms") or []))
        results = []
        for i, (platform, account_id) in enumerate(keys, start=1):
            done = i / max(len(keys), 1)
            results.append(step(f"check {platform}:{account_id}", _check_one, platform, account_id, done))
        return {"results": results}

    return _job("connectors.check", params, body)


def _account_keys(platforms: list[str]) -> list[list[str]]:
    from adops import config
    from adops.connectors import workspace_accounts

    return [[a.platform, a.id] for a in workspace_accounts(config.load(), platforms)]


def _check_one(platform: str, account_id: str, done: float) -> Result:
    from adops import config
    from adops.connectors import workspace_accounts
    from adops.connectors.check import check_account

    report = Reporter(str(DBOS.workflow_id), "connectors.check", interval=0)
    try:
        for account in workspace_accounts(config.load(), [platform]):
            if account.id == account_id:
                return dict(check_account(account).to_dict())
    finally:
        report(done, f"{platform}:{account_id}")
    return {
        "platform": platform,
        "account_id": account_id,
        "ok": False,
        "error_kind": "config",
        "error": "the account is no longer in adops.toml",
        "hint": "run the check again",
        "warnings": [],
    }


# ---------------------------------------------------------------------------- heavy compute


@DBOS.workflow(name="optimize.fit", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def fit_job(params: dict[str, Any]) -> Result:
    """Fit the response curves of a scope on the current snapshot (the Budget page reads them)."""

    def body(p: dict[str, Any]) -> Result:
        def run(report: Reporter) -> Result:
            from adops.optimize.fits import FitScope, fit

            history, fits = fit(
                FitScope.from_params(p),
                progress=lambda done, total: report(done / max(total, 1), f"fitted {done} of {total} curves"),
            )
            return {"channels": len(fits), "snapshot": history.snapshot_id}

        return dict(with_progress("optimize.fit", "fit response curves", run))

    return _job("optimize.fit", params, body)


@DBOS.workflow(name="forecast.run", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def forecast_job(params: dict[str, Any]) -> Result:
    """Forecast a scope on the current snapshot into the forecast cache (the Forecast page reads it)."""

    def body(p: dict[str, Any]) -> Result:
        def run(report: Reporter) -> Result:
            from adops.forecast.jobs import ForecastScope, run

            results = run(
                ForecastScope.from_params(p),
                progress=lambda done, total: report(done / max(total, 1), f"forecast {done} of {total}"),
            )
            return {"series": len(results)}

        return dict(with_progress("forecast.run", "forecast", run))

    return _job("forecast.run", params, body)


# ---------------------------------------------------------------------------- platform changes

_PLAN_STEPS = {"dry_run": "dry run", "apply": "apply today's step", "rollback": "roll back"}
_ROLLOUT_STEPS = {"plan": "read the platforms", "rehearse": "rehearse", "approve": "apply the rollout"}


@DBOS.workflow(name="budget_plan.run", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def budget_plan_job(params: dict[str, Any]) -> Result:
    """A budget plan's dry run, today's step or its rollback (connector calls)."""

    def body(p: dict[str, Any]) -> Result:
        action = str(p.get("action"))
        if action not in _PLAN_STEPS:
            raise InputError(f"unknown budget plan action {action[:40]!r}; dry_run, apply or rollback")
        return dict(
            with_progress("budget_plan.run", _PLAN_STEPS[action], lambda report: _run_plan(p, action, report))
        )

    return _job("budget_plan.run", params, body)


def _run_plan(params: dict[str, Any], action: str, report: Reporter) -> Result:
    from adops.optimize.apply import apply_plan, rollback_plan

    plan_id, actor = int(params["plan_id"]), str(params.get("actor", ""))

    def progress(done: int, total: int, account: str) -> None:
        report(done / max(total, 1), account)

    if action == "rollback":
        return dict(rollback_plan(plan_id, actor=actor, progress=progress).to_dict())
    return dict(apply_plan(plan_id, dry_run=action == "dry_run", actor=actor, progress=progress).to_dict())


@DBOS.workflow(name="experiment.rollout", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def rollout_job(params: dict[str, Any]) -> Result:
    """Plan (read the platforms), rehearse or approve an experiment's rollout."""

    def body(p: dict[str, Any]) -> Result:
        action = str(p.get("action"))
        if action not in _ROLLOUT_STEPS:
            raise InputError(f"unknown rollout action {action[:40]!r}; plan, rehearse or approve")
        return dict(step(_ROLLOUT_STEPS[action], _run_rollout, p, action))

    return _job("experiment.rollout", params, body)


def _run_rollout(params: dict[str, Any], action: str) -> Result:
    from adops.experiments import rollout

    experiment_id = int(params["experiment_id"])
    if action == "plan":
        return dict(rollout.plan(experiment_id).to_dict())
    result = rollout.run(
        experiment_id,
        str(params.get("actor", "")),
        approve=action == "approve",
        fingerprint=params.get("fingerprint"),
    )
    return dict(result.to_dict())


# ---------------------------------------------------------------------------- the house's own


@DBOS.workflow(name="jobs.prune", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def prune_job(params: dict[str, Any]) -> Result:
    """Delete finished jobs older than `days` (default 30) from the history, with their steps."""

    def body(p: dict[str, Any]) -> Result:
        from adops.jobs.api import prune

        return {"deleted": step("prune history", prune, int(p.get("days", 30)))}

    return _job("jobs.prune", params, body)


@DBOS.workflow(name="schedule.tick", max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
def schedule_tick(scheduled_at: Any, context: dict[str, Any]) -> Result:
    """One tick of a cron schedule: queue its job (or attach to the same work already queued)."""
    kind = str(context.get("kind", ""))
    if kind not in KINDS or not KINDS[kind].public:
        raise InputError(f"schedule names an unknown job kind {kind[:80]!r}")
    params = dict(context.get("params") or {})
    return {"scheduled_at": str(scheduled_at), "job_id": enqueue_child(kind, params)}
