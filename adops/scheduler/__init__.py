"""The scheduler: cron schedules that enqueue jobs, and the worker that runs queued jobs.

It lives in the sidecar (one writer). Pages and the CLI enqueue with `adops.store.jobs.enqueue`;
the worker claims one job at a time, reports progress as events and records the outcome.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from adops import config
from adops.errors import InputError
from adops.store import jobs

log = logging.getLogger("adops.scheduler")

#: kind -> runner(params, report_progress) -> result dict
Runner = Callable[[dict[str, Any], Callable[[float, str], None]], dict[str, Any]]
RUNNERS: dict[str, Runner] = {}
#: compact and vacuum the warehouse daily, at a quiet hour (UTC)
MAINTENANCE_CRON = "17 3 * * *"


def runner(kind: str) -> Callable[[Runner], Runner]:
    def register(fn: Runner) -> Runner:
        RUNNERS[kind] = fn
        return fn

    return register


@runner("sync")
def _run_sync(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    from datetime import date

    from adops.ingest import sync

    since = date.fromisoformat(params["since"]) if params.get("since") else None
    until = date.fromisoformat(params["until"]) if params.get("until") else None
    result = sync(
        params.get("platforms", []),
        since,
        until,
        trigger=params.get("trigger", "job"),
        progress=lambda done, total, acc: report(done / max(total, 1), f"{acc.platform}:{acc.account_id}"),
    )
    if result.rows:  # warm the Budget page: fit the default scope on the new snapshot
        from adops.optimize.fits import FitScope

        jobs.enqueue("optimize.fit", FitScope().to_params())
        jobs.enqueue("experiments.decide", {})  # the winner rule reads the new data, not a page
    return {
        "run_id": result.run_id,
        "status": result.status,
        "rows": result.rows,
        "duration_s": round(result.duration_s, 2),
    }


@runner("warehouse.maintain")
def _run_maintenance(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    from adops.ingest import maintain

    return {"files_removed": maintain()}


@runner("experiments.decide")
def _run_decide(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """The winner rule over every running experiment: a write, so a job after each sync, not a page."""
    from adops.experiments.results import decide_winners

    return {"experiments": decide_winners()}


@runner("warehouse.delete_account")
def _run_delete_account(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Purge one account's rows (Settings → remove account → purge): a warehouse write, so a job."""
    from adops import warehouse

    return {"removed": warehouse.delete_account(str(params["platform"]), str(params["account_id"]))}


@runner("connectors.check")
def _run_check(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    from adops.connectors import workspace_accounts
    from adops.connectors.check import check_account

    accounts = workspace_accounts(config.load(), params.get("platforms", []))
    results = []
    for i, account in enumerate(accounts, start=1):
        results.append(check_account(account).to_dict())
        report(i / max(len(accounts), 1), account.key)
    return {"results": results}


@runner("optimize.fit")
def _run_fit(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    from adops.optimize.fits import FitScope, fit

    history, fits = fit(
        FitScope.from_params(params),
        progress=lambda done, total: report(done / max(total, 1), f"fitted {done} of {total} curves"),
    )
    return {"channels": len(fits), "snapshot": history.snapshot_id}


@runner("forecast.run")
def _run_forecast(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    from adops.forecast.jobs import ForecastScope, run

    results = run(
        ForecastScope.from_params(params),
        progress=lambda done, total: report(done / max(total, 1), f"forecast {done} of {total}"),
    )
    return {"series": len(results)}


@runner("budget_plan.run")
def _run_budget_plan(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """A plan's dry run, today's step, or its rollback: connector calls, so never inside a page."""
    from adops.optimize.apply import apply_plan, rollback_plan

    action, plan_id, actor = params["action"], int(params["plan_id"]), str(params.get("actor", ""))

    def progress(done: int, total: int, account: str) -> None:
        report(done / max(total, 1), account)

    if action == "rollback":
        result = rollback_plan(plan_id, actor=actor, progress=progress)
    elif action in ("apply", "dry_run"):
        result = apply_plan(plan_id, dry_run=action == "dry_run", actor=actor, progress=progress)
    else:
        raise InputError(f"unknown budget plan action {action!r}; dry_run, apply or rollback")
    return result.to_dict()


@runner("experiment.rollout")
def _run_rollout(params: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Plan (read the platforms), rehearse or approve an experiment's rollout: never inside a page."""
    from adops.experiments import rollout

    experiment_id, action = int(params["experiment_id"]), params["action"]
    if action == "plan":
        return rollout.plan(experiment_id).to_dict()
    if action not in ("rehearse", "approve"):
        raise InputError(f"unknown rollout action {action!r}; plan, rehearse or approve")
    result = rollout.run(
        experiment_id,
        str(params.get("actor", "")),
        approve=action == "approve",
        fingerprint=params.get("fingerprint"),
    )
    return result.to_dict()


def run_next() -> int | None:
    """Claim and run the oldest queued job; returns its id, or None when the queue is empty."""
    job = jobs.claim_next()
    if job is None:
        return None
    fn = RUNNERS.get(job.kind)
    if fn is None:
        jobs.finish(job.id, error=f"unknown job kind '{job.kind}'")
        return job.id
    try:
        result = fn(dict(job.params), lambda fraction, message: jobs.progress(job.id, fraction, message))
        jobs.finish(job.id, result=result)
    except Exception as exc:  # a failing job is recorded; the worker goes on
        log.exception("job %s (%s) failed", job.id, job.kind)
        jobs.finish(job.id, error=f"{type(exc).__name__}: {exc}")
    return job.id


class Scheduler:
    """APScheduler in a background thread for the cron schedules, and a worker thread for the queue.

    The worker is its own thread rather than an interval job: a job that runs for minutes would make
    APScheduler log a skipped interval run every second.
    """

    def __init__(self, poll_seconds: float = 1.0) -> None:
        self.poll_seconds = poll_seconds
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="adops-worker", daemon=True)

    def start(self) -> None:
        cfg = config.load()
        jobs.fail_orphans()
        for i, schedule in enumerate(cfg.schedules):
            self._scheduler.add_job(
                jobs.enqueue,
                CronTrigger.from_crontab(schedule.cron, timezone="UTC"),
                args=["sync", {"platforms": list(schedule.platforms), "trigger": "schedule"}],
                id=f"sync-{i}",
                name=f"sync {schedule.cron} {','.join(schedule.platforms) or 'all platforms'}",
                coalesce=True,
                misfire_grace_time=600,
            )
        self._scheduler.add_job(
            jobs.enqueue,
            CronTrigger.from_crontab(MAINTENANCE_CRON, timezone="UTC"),
            args=["warehouse.maintain", {}],
            id="maintenance",
            name=f"warehouse maintenance {MAINTENANCE_CRON}",
            coalesce=True,
            misfire_grace_time=3600,
        )
        self._scheduler.start()
        self._worker.start()

    def _work(self) -> None:
        while not self._stop.is_set():
            if run_next() is None:
                self._stop.wait(self.poll_seconds)

    def shutdown(self) -> None:
        self._stop.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def status(self) -> dict[str, Any]:
        return {
            "running": bool(self._scheduler.running),
            "schedules": [
                {
                    "id": j.id,
                    "name": j.name,
                    "next_run": j.next_run_time.isoformat() if j.next_run_time else None,
                }
                for j in self._scheduler.get_jobs()
            ],
        }
