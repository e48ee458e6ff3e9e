"""A sync job over more accounts than ADOPS_SYNC_PART_ACCOUNTS reads them in `sync.part` jobs (on any
worker) and commits once: the same rows as a plain sync, one run, one account row each, no staging
left behind; a repeated part replaces its own rows; the setting refuses what it cannot use."""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from adops import jobs, store, warehouse
from adops.errors import ConfigError
from adops.ingest import parts, sync
from adops.jobs import kinds, system
from adops.store.models import SyncAccountRun, SyncRun
from tests.jobs import support

WINDOW = {"since": "2026-11-20", "until": "2026-11-22"}
TOTALS = (
    "select platform, account_id, count(*) as n, sum(clicks) as clicks, round(sum(spend), 2) as spend "
    "from {table} group by all order by all"
)


@contextmanager
def worker() -> Iterator[None]:
    """DBOS in this process, listening to the test queue and to the sync parts' queue, as a worker does."""
    from dbos import DBOS

    for module in kinds.workflow_modules():
        importlib.import_module(module)
    target = system.url()
    system.migrate(target)
    support._drop_closed_log_streams()
    DBOS(config=system.dbos_config(target, notification_listener_polling_interval_sec=0.05))  # type: ignore[arg-type]
    try:
        DBOS.listen_queues([support.TEST_QUEUE, "sync_parts"])
        DBOS.launch()
        DBOS.register_queue(support.TEST_QUEUE, polling_interval_sec=0.05, on_conflict="always_update")
        for q in kinds.QUEUES.values():
            DBOS.register_queue(
                q.name,
                global_concurrency=q.concurrency,
                worker_concurrency=q.worker_concurrency,
                polling_interval_sec=0.05,
                on_conflict="always_update",
            )
        yield
    finally:
        DBOS.destroy(workflow_completion_timeout_sec=0)


def totals() -> dict[str, list[tuple]]:
    con = warehouse.connect()
    return {t: con.execute(TOTALS.format(table=t)).fetchall() for t in ("campaign_daily", "ad_daily")}


@pytest.mark.slow
def test_a_big_sync_is_read_in_parts_and_committed_once(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same window synced plainly in another workspace: what the parts must add up to
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path / "plain"))
    store.reset()
    plain = sync(since=date(2026, 11, 20), until=date(2026, 11, 22))
    expected = totals()
    assert plain.status == "success" and len(plain.accounts) == 14
    monkeypatch.setenv("ADOPS_HOME", str(workspace))
    store.reset()

    monkeypatch.setenv("ADOPS_SYNC_PART_ACCOUNTS", "5")  # 14 sandbox accounts: parts of 5, 5 and 4
    job_id = jobs.enqueue("sync", {**WINDOW, "trigger": "test"})
    with worker():
        from dbos import DBOS

        DBOS.resume_workflow(job_id, queue_name=support.TEST_QUEUE)
        deadline = time.monotonic() + 240
        while (job := jobs.get(job_id)) is None or job.status in jobs.ACTIVE:
            assert time.monotonic() < deadline, "the sync job did not end"
            time.sleep(0.1)
    assert job.status == "done" and job.result is not None, job.error
    assert job.result["rows"] == plain.rows and job.result["status"] == "success"

    found = system.client().list_workflows(name=["sync.part"], load_input=True, load_output=False)
    inputs = [dict(w.input["args"][0]) for w in found if w.input is not None]
    assert sorted(len(i["accounts"]) for i in inputs) == [4, 5, 5]
    assert all(w.status == "SUCCESS" for w in found)
    assert totals() == expected  # every account's rows, once
    with store.session() as s:
        runs = list(s.query(SyncRun))
        accounts = list(s.query(SyncAccountRun))
    assert [(r.status, r.rows) for r in runs] == [("success", plain.rows)]
    assert sorted((a.platform, a.account_id) for a in accounts) == sorted(
        (a.platform, a.account_id) for a in plain.accounts
    )
    assert not (workspace / "warehouse" / parts.STAGING / job_id).exists()  # the staged rows are gone

    # a part run again (its worker died after writing): its accounts' rows are replaced, not doubled
    params = inputs[0]
    params["staging"] = str(tmp_path / "staging")
    again = parts.fetch_part(params)
    with store.session() as s:
        rows = s.query(SyncAccountRun).filter(SyncAccountRun.sync_run_id == runs[0].id).count()
    assert rows == 14 and len(again["accounts"]) == len(params["accounts"])
    assert all(Path(uri).exists() for uri in again["staged"].values())


def test_few_accounts_are_read_in_the_job_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most ADOPS_SYNC_PART_ACCOUNTS accounts: no part jobs, no DBOS needed (`_fetch_all` as is)."""
    monkeypatch.setenv("ADOPS_SYNC_PART_ACCOUNTS", "14")
    result = sync(since=date(2026, 11, 22), until=date(2026, 11, 22), fetch=parts.fetch_spread)
    assert result.status == "success" and len(result.accounts) == 14 and result.rows > 0


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "1.5", "100001", "9" * 400, "5; rm -rf /", "٣"])
def test_the_part_size_setting_refuses_what_it_cannot_use(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("ADOPS_SYNC_PART_ACCOUNTS", bad)
    with pytest.raises(ConfigError, match="ADOPS_SYNC_PART_ACCOUNTS") as raised:
        parts.part_accounts()
    assert len(str(raised.value)) < 200


def test_the_part_size_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADOPS_SYNC_PART_ACCOUNTS", raising=False)
    assert parts.part_accounts() == parts.PART_ACCOUNTS == 100
    monkeypatch.setenv("ADOPS_SYNC_PART_ACCOUNTS", " 250 ")
    assert parts.part_accounts() == 250


def test_a_sandbox_of_1000_accounts_has_1000_distinct_ids() -> None:
    """The benchmark's world (benchmarks/bench_workers.py): past 100 accounts per platform the ids
    ran into the next platform's (143 of 1,000 accounts answered as another platform's)."""
    from adops.connectors.sandbox.world import World

    small = World(anchor=date(2026, 11, 24))
    assert [a.id for a in small.accounts][:4] == ["1000000007", "1000001007", "1000002007", "act_1000100007"]
    big = World(anchor=date(2026, 11, 24), accounts_scale=1000 / 14, campaigns_per_account=(1, 1))
    ids = [(a.platform, a.id) for a in big.accounts]
    assert len(ids) == 1000 and len({i for _, i in ids}) == 1000


def test_a_failed_part_fails_its_accounts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sync job's wait: a part that ended in error gives its accounts as failed with the part's
    error; a finished part's accounts are reported as they come."""
    from types import SimpleNamespace

    from adops.config import AccountConfig

    monkeypatch.setattr(parts, "POLL_S", 0.0)
    ok = {"platform": "meta", "account_id": "act_1", "since": "2026-11-20", "until": "2026-11-22", "rows": 7}
    answers = iter(
        [
            [
                SimpleNamespace(workflow_id="p1", status="PENDING"),
                SimpleNamespace(workflow_id="p2", status="PENDING"),
            ],
            [
                SimpleNamespace(workflow_id="p1", status="SUCCESS", output={"accounts": [ok], "staged": {}}),
                SimpleNamespace(workflow_id="p2", status="ERROR", error="RuntimeError: boom"),
            ],
        ]
    )
    client = SimpleNamespace(list_workflows=lambda **_: next(answers))
    seen: list[tuple[int, int, str]] = []
    outputs = parts._wait(
        client, ["p1", "p2"], 2, lambda done, total, r: seen.append((done, total, r.account_id))
    )
    assert outputs["p1"]["accounts"] == [ok] and seen == [(1, 2, "act_1")]
    assert outputs["p2"].startswith("sync part p2 error: RuntimeError: boom")
    failed = parts._failed(AccountConfig("tiktok", "42", "sandbox"), outputs["p2"])
    assert (failed.status, failed.error_kind, failed.error) == ("failed", "internal", outputs["p2"])
    assert parts._result(parts._plain(parts._result(ok))) == parts._result(
        ok
    )  # through the job's JSON and back
