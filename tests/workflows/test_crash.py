"""A run killed with -9 between two change steps resumes after a restart of `adops serve` without
repeating the first change (real sidecar processes, as tests/jobs/test_crash.py)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from adops import store, workflows
from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from tests.browser import free_port, wait_for
from tests.jobs.test_crash import serve, sidecars, stop, wait_until  # noqa: F401  (sidecars: a fixture)
from tests.workflows import support

pytestmark = pytest.mark.slow


def budgets(ents: list[dict[str, str]]) -> list[float]:
    out = []
    for e in ents:
        frame = SandboxConnector(e["platform"]).campaigns(e["account_id"])
        out.append(float(frame.loc[frame.campaign_id == e["entity_id"], "daily_budget"].iloc[0]))
    return out


def applied_steps(run_id: str) -> int:
    return sum(
        1
        for e in store.events.after(0, 20_000)
        if e.type == "workflow.step"
        and e.data.get("run_id") == run_id
        and str(e.data.get("step", "")).startswith("change ")
        and e.data.get("step_status") == "succeeded"
    )


def test_a_run_killed_between_changes_resumes_without_repeating_one(
    workspace: Path,
    tmp_path: Path,
    sidecars: list[subprocess.Popen[bytes]],  # noqa: F811
) -> None:
    init_state(7, date(2026, 11, 24), (3, 3))
    world = load_world()
    ents = [
        {"platform": a.platform, "account_id": a.id, "entity_type": "campaign", "entity_id": c.id}
        for a in world.accounts
        for c in world.campaigns(a.id)
        if c.status == "ENABLED"
    ][:30]
    before = budgets(ents)
    port = free_port()
    log = tmp_path / "sidecar.log"
    sidecars.append(serve(port, log))
    wait_for(f"http://127.0.0.1:{port}/health")
    run_id = workflows.start("bulk", {"action": "budget", "percent": 10, "entities": ents}, by="test")
    wait_until(lambda: workflows.show(run_id)["status"] == "awaiting_approval", 120)
    workflows.approve(run_id, by="Dana")
    wait_until(lambda: applied_steps(run_id) >= 1, 120, every=0.01)
    os.kill(sidecars[0].pid, signal.SIGKILL)
    sidecars[0].wait(10)
    at_kill = [c["status"] for c in workflows.show(run_id)["changes"]]
    assert 1 <= at_kill.count("applied") < len(ents), at_kill  # killed between two change steps
    assert workflows.show(run_id)["status"] == "running"

    sidecars.append(serve(port, log))
    done = wait_until(lambda: (r := workflows.show(run_id))["status"] != "running" and r, 240)
    assert done["status"] == "succeeded", (done["error"], log.read_text()[-2000:])
    assert budgets(ents) == [round(b * 1.1, 2) for b in before]  # each change made once: +10%, not +21%
    keys = Counter(a.after["change_key"] for a in support.audit_rows(run_id))
    assert len(keys) == len(ents) and set(keys.values()) == {1}  # one audit row per change
    stop(sidecars[1], log)
