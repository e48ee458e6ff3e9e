from sqlalchemy import inspect

from adops import store
from adops.store import events, jobs


def test_migrations_create_every_table() -> None:
    names = set(inspect(store.engine()).get_table_names())
    assert {
        "events",
        "jobs",
        "sync_runs",
        "sync_account_runs",
        "sync_state",
        "audit_log",
        "webhook_receipts",
        "alembic_version",
    } <= names


def test_events_have_increasing_ids_and_replay_after_an_id() -> None:
    first = events.publish("a", {"n": 1})
    second = events.publish("b", {"n": 2})
    third = events.publish("a", {"n": 3})
    assert first < second < third
    assert [e.data["n"] for e in events.after(first)] == [2, 3]
    assert [e.data["n"] for e in events.after(0, types=("a",))] == [1, 3]
    assert events.last_id() == third


def test_jobs_queue_claim_progress_finish() -> None:
    job_id = jobs.enqueue("sync", {"platforms": ["meta"]})
    assert jobs.enqueue("sync", {"platforms": ["meta"]}) == job_id  # deduplicated while active
    other = jobs.enqueue("sync", {"platforms": ["tiktok"]})
    claimed = jobs.claim_next()
    assert claimed is not None and claimed.id == job_id and claimed.status == "running"
    jobs.progress(job_id, 0.5, "halfway")
    assert jobs.get(job_id).message == "halfway"  # type: ignore[union-attr]
    jobs.finish(job_id, result={"rows": 3})
    assert jobs.get(job_id).status == "done"  # type: ignore[union-attr]
    assert jobs.claim_next().id == other  # type: ignore[union-attr]
    assert jobs.claim_next() is None
    assert jobs.fail_orphans() == 1
    assert jobs.get(other).status == "failed"  # type: ignore[union-attr]
    kinds = [e.type for e in events.after(0)]
    assert kinds.count("job.queued") == 2 and "job.done" in kinds
