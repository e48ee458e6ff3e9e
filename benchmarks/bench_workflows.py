"""Workflows on the full sandbox demo (10-60 campaigns per account): a dry run of every built-in
(target <= 2 s), the engine's overhead per step on SQLite (target <= 20 ms), and 1,000 runs recorded
and listed (no slowdown: the list reads newest first through an index).

DBOS runs in this process (the CLI's no-sidecar path), so the figures include queue polling (0.2 s).
`python -m benchmarks workflows`; figures in docs/benchmarks.md ("Workflows").
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

from dbos import DBOS, StepOptions

from adops import warehouse, workflows
from adops.connectors.sandbox import SandboxConnector
from adops.ingest import build_demo, sync
from adops.workflows import Params, Plan, Step, Workflow, board, records, register
from benchmarks._floor import line, load
from benchmarks._workspace import workspace

REPEAT = 5
STEPS = 40


def main() -> None:
    with workspace():
        from adops.jobs.worker import Worker

        worker = Worker(listen=["workflows", "changes"], apply_schedules=False)
        worker.start()
        try:
            _step_overhead()  # first, on an empty workspace
            t0 = time.perf_counter()
            build_demo()
            print(f"   demo built in {time.perf_counter() - t0:.1f}s")
            _dry_runs(_params())
        finally:
            worker.stop()
        _many_runs()


def _run(name: str, p: dict[str, Any], dry_run: bool = True) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    run_id = workflows.start(name, p, dry_run=dry_run, by="bench")
    doc = workflows.wait(run_id, 120, until=("succeeded", "failed", "awaiting_approval"))
    return time.perf_counter() - t0, doc


def _dry_runs(params: dict[str, dict[str, Any]]) -> None:
    print("   dry run of each built-in (median of 5; plan = the workflow's own reading and planning):")
    for name, p in params.items():
        times, plans, changes = [], [], 0
        for _ in range(REPEAT):
            seconds, doc = _run(name, p)
            assert doc["status"] == "succeeded", (name, doc["error"])
            times.append(seconds)
            step = next(s for s in doc["steps"] if s["name"] == "plan")
            plans.append(
                (
                    datetime.fromisoformat(step["finished_at"]) - datetime.fromisoformat(step["started_at"])
                ).total_seconds()
            )
            changes = len(doc["changes"])
        print(
            f"     {name:20s} {statistics.median(times):5.2f}s (plan {statistics.median(plans):5.2f}s), {changes} changes"
        )


@DBOS.workflow(name="bench.bare_steps")
def _bare_steps(n: int) -> int:
    """The floor of a durable step: a DBOS workflow of `n` steps that do nothing (one checkpoint each)."""
    for i in range(n):
        DBOS.run_step(StepOptions(name=f"step {i}"), lambda: {})
    return n


def _step_overhead() -> None:
    class NoParams(Params):
        pass

    def nothing(params: Any, ctx: Any) -> dict[str, Any]:
        return {}

    register(Workflow("bench-none", "0 follow-up steps", NoParams, lambda p, c: Plan()))
    register(Workflow("bench-steps", f"{STEPS} empty steps", NoParams, lambda p, c: Plan(),
                      steps=tuple(Step(f"step {i}", nothing) for i in range(STEPS))))  # fmt: skip
    _run("bench-none", {}, dry_run=False)  # warm
    _bare_steps(0)
    # interleaved rounds (engine, then its DBOS floor), so the machine's load drifts alike on both
    engines, floors, totals = [], [], []
    for _ in range(REPEAT):
        base = _run("bench-none", {}, dry_run=False)[0]
        many = _run("bench-steps", {}, dry_run=False)[0]
        bare0 = _timed(lambda: _bare_steps(0))
        bare = _timed(lambda: _bare_steps(STEPS))
        engines.append((many - base) / STEPS * 1000)
        floors.append(max(0.0, bare - bare0) / STEPS * 1000)
        totals.append(many)
    engine, dbos_step = statistics.median(engines), statistics.median(floors)
    print(f"   engine overhead per step ({load()}): {engine:.1f} ms, target <= 20 ms "
          f"(median of {REPEAT} rounds; a run of {STEPS} empty steps {statistics.median(totals):.2f}s)")  # fmt: skip
    sqlite_step = _bare_sqlite_step() * 1000
    records_step = _records_step() * 1000
    print(line("a bare DBOS step (checkpoint only)", dbos_step, dbos_step))
    print(
        line("its workflow_steps + event writes (records, us)", records_step * 1000, sqlite_step * 1000, "us")
    )
    print(line("engine overhead per step vs both floors", engine, dbos_step + sqlite_step))


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _bare_sqlite_step(n: int = 400) -> float:
    """The statements a step records, on a bare SQLite file in WAL mode (synchronous=NORMAL, as the
    store): started (update, count, insert) and finished (update, read the run, insert the event),
    each its own transaction. Median seconds per step."""
    import os
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(os.path.join(tmp, "floor.sqlite"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(
            """CREATE TABLE runs (id TEXT PRIMARY KEY, workflow TEXT, status TEXT, dry_run INT);
               CREATE TABLE steps (id INTEGER PRIMARY KEY, run_id TEXT, position INT, name TEXT, status TEXT,
                                   started_at TEXT, finished_at TEXT, output TEXT, error TEXT, UNIQUE (run_id, name));
               CREATE INDEX steps_run ON steps (run_id);
               CREATE TABLE events (id INTEGER PRIMARY KEY, type TEXT, data TEXT, created_at TEXT);
               INSERT INTO runs VALUES ('r', 'bench', 'running', 0);"""
        )
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            now = datetime.now(UTC).isoformat()
            db.execute("BEGIN")
            db.execute("UPDATE steps SET status='running' WHERE run_id='r' AND name=?", (f"s{i}",))
            (count,) = db.execute("SELECT count(*) FROM steps WHERE run_id='r'").fetchone()
            db.execute("INSERT INTO steps (run_id, position, name, status, started_at) VALUES ('r', ?, ?, 'running', ?)",
                       (count + 1, f"s{i}", now))  # fmt: skip
            db.execute("COMMIT")
            db.execute("BEGIN")
            db.execute("UPDATE steps SET status='succeeded', finished_at=?, output='{}' WHERE run_id='r' AND name=?",
                       (now, f"s{i}"))  # fmt: skip
            db.execute("SELECT workflow, status, dry_run FROM runs WHERE id='r'").fetchone()
            db.execute("INSERT INTO events (type, data, created_at) VALUES ('workflow.step', ?, ?)",
                       (f'{{"run_id": "r", "step": "s{i}"}}', now))  # fmt: skip
            db.execute("COMMIT")
            times.append(time.perf_counter() - t0)
        db.close()
    return statistics.median(times)


def _records_step(n: int = 400) -> float:
    """The engine's own recording of a step (records.step_started + step_finished), median seconds."""
    rid = "wf-bench-records"
    records.create(rid, "bench-none", {}, False, "bench", None)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        records.step_started(rid, f"s{i}")
        records.step_finished(rid, f"s{i}", "succeeded", {})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _many_runs() -> None:
    print("   1,000 runs recorded (5 changes, 6 steps each) and listed:")
    from adops.workflows.engine import Change

    change = Change("meta", "act_1", "campaign", "1", "daily_budget", 100.0, 110.0, "bench")
    existing = len(workflows.runs(10_000, details=False))
    per_batch: list[float] = []
    lists: list[tuple[int, float, float]] = []
    for i in range(1000):
        t0 = time.perf_counter()
        rid = f"wf-bench-{i:05d}"
        records.create(rid, "bulk", {"action": "pause"}, False, "bench", None)
        records.save_plan(rid, [change] * 5, [], {})
        for s in ("start", "plan", "approval", "await approval", "approval received", "finish"):
            records.step_started(rid, s)
            records.step_finished(rid, s, "succeeded", {})
        records.set_status(rid, "succeeded", finished_at=datetime.now(UTC))
        per_batch.append(time.perf_counter() - t0)
        if i + 1 in (10, 100, 1000):
            query = statistics.median(
                _timed(lambda: workflows.runs(200, details=False)) for _ in range(REPEAT)
            )
            page = statistics.median(_timed(lambda: board.runs_frame(200)) for _ in range(REPEAT))
            one = statistics.median(_timed(lambda r=rid: workflows.show(r)) for _ in range(REPEAT))
            lists.append((i + 1, query, page, one))
            assert len(board.runs_frame(200)) == min(existing + i + 1, 200)
    first, last = statistics.median(per_batch[:100]) * 1000, statistics.median(per_batch[-100:]) * 1000
    print(f"     recording a run: {first:.1f} ms (runs 1-100), {last:.1f} ms (runs 901-1000) ({load()})")
    for n, query, page, one in lists:
        print(
            f"     at {n:5,} runs: list query (200 newest) {query * 1000:.1f} ms, the page's table {page * 1000:.1f} ms, "
            f"one run with its steps {one * 1000:.1f} ms (median of {REPEAT})"
        )
    (_, q10, p10, _), (_, q1000, p1000, _) = lists[0], lists[-1]
    print(
        f"     1,000 runs against 10: list query {q1000 / q10:.2f}x, page table {p1000 / p10:.2f}x (1.0 = no slowdown)"
    )


def _params() -> dict[str, dict[str, Any]]:
    camps = warehouse.query(
        "SELECT platform, account_id, campaign_id FROM campaigns WHERE status = 'ENABLED' ORDER BY platform, account_id, campaign_id"
    )
    ents = [
        {"platform": r.platform, "account_id": r.account_id, "entity_id": r.campaign_id}
        for r in camps.head(50).itertuples()
    ]
    linkedin = camps[camps.platform == "linkedin"].head(20)
    conn = SandboxConnector("linkedin")
    for r in linkedin.itertuples():
        conn.set_bid(r.account_id, "campaign", r.campaign_id, 12.0)
    sync(["linkedin"])
    ads = warehouse.query(
        "SELECT account_id, ad_id FROM ads WHERE platform = 'google_ads' ORDER BY ad_id LIMIT 2"
    )
    first = camps.iloc[0]
    return {
        "bulk": {"action": "pause", "entities": ents},
        "budget-optimization": {"plan_id": _plan(camps[camps.platform == "meta"].head(20))},
        "bid-adjustment": {"target_cpa": 5.0, "min_conversions": 0},
        "pacing-guard": {},
        "anomaly-response": {
            "platform": first.platform,
            "account_id": first.account_id,
            "campaign_id": first.campaign_id,
            "severity": "critical",
            "pause": True,
        },  # fmt: skip
        "creative-rotation": {"min_drop": 0.05, "min_impressions": 100},
        "campaign-launch": {"template": "black-friday"},
        "performance-report": {"days": 7},
        "scheduled-report": {"days": 7, "channel": "email"},
        "ab-test": {
            "action": "setup",
            "name": "bench",
            "variants": [
                {
                    "name": "a",
                    "platform": "google_ads",
                    "account_id": ads.account_id[0],
                    "level": "ad",
                    "entity_id": ads.ad_id[0],
                },
                {
                    "name": "b",
                    "platform": "google_ads",
                    "account_id": ads.account_id[1],
                    "level": "ad",
                    "entity_id": ads.ad_id[1],
                },
            ],
        },  # fmt: skip
    }


def _plan(rows: Any) -> int:
    from adops.store.db import session
    from adops.store.models import BudgetPlan, BudgetPlanLine

    p = BudgetPlan(name="bench", level="campaign", objective="conversions", total_budget=1.0, max_step=0.3,
                   status="draft", created_at=datetime.now(UTC))  # fmt: skip
    for i, r in enumerate(rows.itertuples()):
        p.lines.append(BudgetPlanLine(position=i, channel=f"meta:{r.account_id}:{r.campaign_id}", platform="meta",
                                      account_id=r.account_id, campaign_id=r.campaign_id, current_spend=100.0,
                                      recommended_spend=100.0 * (1.5 if i % 2 else 0.8), locked=0, status="pending"))  # fmt: skip
    with session() as s:
        s.add(p)
        s.flush()
        return int(p.id)


if __name__ == "__main__":
    main()
