"""Helpers for workflow tests: a private copy of the demo workspace, running a run's jobs, and what
"nothing changed anywhere" means (sandbox state, audit log, warehouse snapshot)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from adops import store, warehouse, workflows
from adops.connectors.sandbox.connector import STATE_FILE
from adops.store.db import session
from adops.store.models import AuditEntry
from tests.jobs import support as jobs_support


def private_demo(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the session's demo workspace this test may change."""
    home = tmp_path / "demo"
    shutil.copytree(demo_home, home)
    monkeypatch.setenv("ADOPS_HOME", str(home))
    store.reset()
    return home


def run_job(job_id: str) -> None:
    jobs_support.run(job_id)


def start(name: str, params: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
    """Start a run and run its first job (to its end: succeeded, or awaiting approval)."""
    run_id = workflows.start(name, params, dry_run=dry_run, by="tester")
    run_job(run_id)
    return workflows.show(run_id)


def approve(run_id: str, by: str = "Dana") -> dict[str, Any]:
    workflows.approve(run_id, by=by)
    run_job(f"{run_id}.apply")
    return workflows.show(run_id)


def undo(run_id: str, by: str = "Dana") -> dict[str, Any]:
    run_job(workflows.undo(run_id, by=by))
    return workflows.show(run_id)


def fingerprint(home: Path) -> tuple[str, int, str]:
    """(sandbox state digest, audit rows, warehouse snapshot id): what a dry run must not change."""
    state = home / STATE_FILE
    digest = hashlib.sha256(state.read_bytes()).hexdigest() if state.exists() else ""
    with session() as s:
        audits = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    return digest, audits, str(warehouse.snapshot().versions)


def audit_rows(run_id: str) -> list[AuditEntry]:
    with session() as s:
        return list(
            s.scalars(
                select(AuditEntry).where(AuditEntry.reference == f"workflow:{run_id}").order_by(AuditEntry.id)
            )
        )


def campaign_value(platform: str, account_id: str, campaign_id: str, column: str) -> Any:
    frame = warehouse.query(
        f"SELECT {column} AS v FROM campaigns WHERE platform = ? AND account_id = ? AND campaign_id = ?",
        [platform, account_id, campaign_id],
    )
    return frame["v"].iloc[0]


def ad_status(platform: str, account_id: str, ad_id: str) -> Any:
    frame = warehouse.query(
        "SELECT status AS v FROM ads WHERE platform = ? AND account_id = ? AND ad_id = ?",
        [platform, account_id, ad_id],
    )
    return frame["v"].iloc[0]


def sync(platforms: list[str]) -> None:
    from adops.ingest import sync as run_sync

    assert run_sync(sorted(set(platforms))).status == "success"


def value_in_warehouse(change: dict[str, Any]) -> Any:
    if change["entity_type"] == "ad":
        return ad_status(change["platform"], change["account_id"], change["entity_id"])
    column = {"status": "status", "daily_budget": "daily_budget", "bid": "bid_amount"}[change["field"]]
    value = campaign_value(change["platform"], change["account_id"], change["entity_id"], column)
    return round(float(value), 2) if column != "status" else value


def end_to_end(home: Path, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Dry run (nothing changes), run (awaits approval), approve (applied; a sync shows it), undo
    (reverted; a sync shows the old values). Returns the final run."""
    before = fingerprint(home)
    dry = start(name, params, dry_run=True)
    assert dry["status"] == "succeeded" and dry["dry_run"]
    assert dry["changes"], f"{name}: the dry run proposes no change ({dry['notes']})"
    assert fingerprint(home) == before, "a dry run changed something"

    run = start(name, params)
    assert run["status"] == "awaiting_approval", run
    assert [c["after"] for c in run["changes"]] == [c["after"] for c in dry["changes"]]
    assert fingerprint(home) == before, "a run awaiting approval changed something"

    done = approve(run["run_id"])
    assert done["status"] == "succeeded", done
    assert done["approved_by"] == "Dana"
    applied = [c for c in done["changes"] if c["status"] == "applied"]
    assert applied
    platforms = [c["platform"] for c in applied]
    sync(platforms)
    for c in applied:
        assert value_in_warehouse(c) == c["after"], c

    undone = undo(run["run_id"])
    assert undone["status"] == "undone", undone
    sync(platforms)
    for c in [c for c in undone["changes"] if c["status"] == "reverted"]:
        assert value_in_warehouse(c) == c["replaced"], c
    return undone
