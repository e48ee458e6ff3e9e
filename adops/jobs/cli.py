"""`adops jobs`: list the background jobs and steer them (cancel, resume, retry from a step).

Every command prints JSON. The CLI never runs a job: it talks to the jobs' database through a
DBOS client, and the sidecar (`adops serve`) does the work.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adops.cli_common import Limit, emit_json, new_app

app = new_app("List background jobs (newest first) and cancel, resume or retry them.", no_args_is_help=False)

JobId = Annotated[str, typer.Argument(help="The job's id (as `adops jobs` lists it).")]


@app.callback(invoke_without_command=True)
def jobs(
    ctx: typer.Context,
    limit: Limit = 20,
    kind: Annotated[
        str | None, typer.Option(help="Only jobs of this kind (sync, forecast.run, ...).")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="Only jobs in this state: queued, running, done, failed, cancelled.")
    ] = None,
) -> None:
    """List recent background jobs and their state (JSON), newest first."""
    if ctx.invoked_subcommand is None:
        _list(limit, kind, status)


@app.command("list")
def list_(
    limit: Limit = 20,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    status: Annotated[str | None, typer.Option(help="Only jobs in this state.")] = None,
) -> None:
    """The same as `adops jobs`: recent jobs, newest first (JSON)."""
    _list(limit, kind, status)


@app.command()
def show(job_id: JobId) -> None:
    """One job with its steps (and, while it is queued, why it waits)."""
    from adops import jobs
    from adops.errors import NotFound

    job = jobs.get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r} in this workspace (adops jobs lists them)")
    wait = jobs.waiting(job.id) if job.status == "queued" else None
    emit_json(
        {
            **_row(job),
            "params": job.params,
            "result": job.result,
            "forked_from": job.forked_from,
            "schedule": job.schedule,
            "waiting": wait.explain() if wait else None,
            "steps": [
                {
                    "step": s.number,
                    "name": s.name,
                    "status": s.status,
                    "error": s.error,
                    "seconds": s.seconds,
                }
                for s in jobs.steps(job.id)
            ],
        }
    )


@app.command()
def cancel(job_id: JobId) -> None:
    """Cancel a queued or running job: it runs no further step (a step already running finishes)."""
    from adops import jobs

    emit_json(_row(jobs.cancel(job_id)))


@app.command()
def resume(job_id: JobId) -> None:
    """Resume a cancelled job from its last finished step."""
    from adops import jobs

    emit_json(_row(jobs.resume(job_id)))


@app.command()
def retry(
    job_id: JobId,
    step: Annotated[
        int | None,
        typer.Option(min=1, help="Re-run from this step (default: the failed step, else the first)."),
    ] = None,
) -> None:
    """Run a finished job again as a new job, from a step (the steps before keep their results)."""
    from adops import jobs

    new_id = jobs.retry(job_id, step)
    job = jobs.get(new_id)
    emit_json(_row(job) if job else {"id": new_id})


@app.command()
def schedules() -> None:
    """The cron schedules (adops.toml's `[[schedules]]` and the daily house work), with the next run."""
    from adops import jobs

    emit_json(
        [
            {
                "name": s.spec.name,
                "cron": s.spec.cron,
                "kind": s.spec.kind,
                "params": s.spec.params,
                "status": s.status,
                "last_fired_at": s.last_fired_at,
                "next_run": s.next_run.isoformat(),
            }
            for s in jobs.schedule_states()
        ]
    )


@app.command("run-schedule")
def run_schedule(
    name: Annotated[str, typer.Argument(help="A schedule's name (adops jobs schedules).")],
) -> None:
    """Run a schedule's job now (attached to the same work if it is already queued or running)."""
    from adops import jobs

    job = jobs.get(jobs.run_schedule(name))
    emit_json(_row(job) if job else {})


@app.command()
def prune(
    days: Annotated[int, typer.Option(min=0, max=36_500, help="Keep finished jobs this many days.")] = 30,
) -> None:
    """Delete finished jobs older than `--days` from the history (the sidecar does it daily)."""
    from adops import jobs

    emit_json({"deleted": jobs.prune(days)})


def _list(limit: int, kind: str | None, status: str | None) -> None:
    from adops import jobs

    emit_json([_row(j) for j in jobs.recent(limit, kind=kind, status=status)])


def _row(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "queue": job.queue,
        "progress": job.progress,
        "message": job.message,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
    }
