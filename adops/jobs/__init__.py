"""Durable background jobs on DBOS: syncs, forecasts, fits, plan steps, rollouts, purges, checks.

Pages and the CLI start, watch and steer jobs with the functions here (a `DBOSClient` underneath);
only the sidecar runs them (`adops.jobs.worker`, which launches DBOS). Each kind is a workflow of
named steps (`adops.jobs.workflows`) on its own queue (`adops.jobs.kinds`), so a forecast never
holds up a sync; cron schedules come from adops.toml (`adops.jobs.schedules`).

    job_id = jobs.enqueue("sync", {"platforms": ["meta"]})
    jobs.get(job_id).status          # queued | running | done | failed | cancelled
    jobs.waiting(job_id).explain()   # why it has not started
    jobs.retry(job_id, from_step=2)  # a new job that re-runs step 2 onwards
"""

from adops.jobs.api import (
    ACTIVE,
    FINISHED,
    STATUSES,
    Job,
    ScheduleState,
    Step,
    Wait,
    cancel,
    enqueue,
    get,
    prune,
    recent,
    resume,
    retry,
    run_schedule,
    schedule_states,
    steps,
    waiting,
)
from adops.jobs.kinds import KINDS, QUEUES
from adops.jobs.system import reset

__all__ = [
    "ACTIVE",
    "FINISHED",
    "KINDS",
    "QUEUES",
    "STATUSES",
    "Job",
    "ScheduleState",
    "Step",
    "Wait",
    "cancel",
    "enqueue",
    "get",
    "prune",
    "recent",
    "reset",
    "resume",
    "retry",
    "run_schedule",
    "schedule_states",
    "steps",
    "waiting",
]
