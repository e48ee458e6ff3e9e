"""Running queued jobs inside a test, one at a time, the way the sidecar would.

DBOS is launched in the test process for the current workspace only while a job runs (`run`) or a
test needs it (`launched()`): ~0.15 s. It listens to none of the real queues, so what a page or a
sync queues stays queued until the test runs it with `run(job_id)` or `run_next()`. Running a job
moves it to a private test queue the launched DBOS does listen to, then waits for it to end.

DBOS is stopped again afterwards on purpose: its threads would make later tests' forecasts use the
fork server (`adops.forecast.core._context`), started then with whatever page AppTest left as
`__main__`.
"""

from __future__ import annotations

import atexit
import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from adops import jobs
from adops.jobs import kinds, system

TEST_QUEUE = "tests-run"


_launched: dict[str, str] = {}  # the workspace a kept launch (`launch()`) serves


def launch() -> None:
    """Launch DBOS for the current workspace and keep it (until `stop()`, or a launch for another
    workspace). Prefer `launched()`: a kept launch's threads outlive the test (see the module)."""
    target = system.url()
    if _launched.get("url") == target:
        return
    stop()
    _start(target)
    _launched["url"] = target


def stop() -> None:
    """Stop a kept launch, if there is one."""
    if _launched:
        from dbos import DBOS

        DBOS.destroy(workflow_completion_timeout_sec=0)
        _launched.clear()


@contextmanager
def launched() -> Iterator[None]:
    """DBOS for the current workspace for the block (a kept launch for it is used as it is)."""
    from dbos import DBOS

    target = system.url()
    if _launched.get("url") == target:
        yield
        return
    stop()
    _start(target)
    try:
        yield
    finally:
        DBOS.destroy(workflow_completion_timeout_sec=0)


def _start(target: str) -> None:
    from dbos import DBOS

    for module in kinds.workflow_modules():  # registers every kind's workflow
        importlib.import_module(module)

    system.migrate(target)
    _drop_closed_log_streams()
    DBOS(config=system.dbos_config(target, notification_listener_polling_interval_sec=0.05))  # type: ignore[arg-type]
    try:
        DBOS.listen_queues([TEST_QUEUE])
        DBOS.launch()
        DBOS.register_queue(TEST_QUEUE, polling_interval_sec=0.05, on_conflict="always_update")
        for q in kinds.QUEUES.values():  # declared (schedules name them), not listened to
            DBOS.register_queue(q.name, global_concurrency=q.concurrency, on_conflict="always_update")
    except BaseException:
        DBOS.destroy(workflow_completion_timeout_sec=0)
        raise


def run(job_id: str, timeout: float = 120.0) -> jobs.Job:
    """Run one queued job to its end (done or failed) and return it."""
    from dbos import DBOS

    with launched():
        DBOS.resume_workflow(job_id, queue_name=TEST_QUEUE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = jobs.get(job_id)
            if job is not None and job.status not in jobs.ACTIVE:
                return job
            time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end within {timeout}s")


def run_next(kind: str | None = None) -> str | None:
    """Run the oldest queued job (of `kind`) to its end; its id, or None when nothing is queued."""
    queued = [j for j in jobs.recent(200, kind=kind, status="queued") if j.queue in kinds.QUEUES]
    if not queued:
        return None
    oldest = min(queued, key=lambda j: (j.created_at, kinds.id_time(j.id)))
    run(oldest.id)
    return oldest.id


def _drop_closed_log_streams() -> None:
    """DBOS logs to the stderr it found first; under pytest's capture that stream closes with its
    test, and the next launch would fail flushing it."""
    import logging

    for name in ("dbos", ""):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if getattr(getattr(handler, "stream", None), "closed", False):
                logger.removeHandler(handler)


atexit.register(stop)
