"""The engine on a small sandbox: params and presets, approvals (who, once, in time), idempotent change
steps, compensation, undo, auto-approval settings, events; hostile and replayed input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adops import workflows
from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from adops.errors import ConfigError, Conflict, InputError, NotFound
from adops.store import events
from adops.workflows import records, runner
from tests.workflows import support

pytestmark = pytest.mark.slow  # most run DBOS in the test process (a few seconds each)


@pytest.fixture
def sandbox(workspace: Path) -> Path:
    init_state(7, date(2026, 11, 24), (3, 3))
    return workspace


def campaigns(n: int = 2, platform: str = "meta") -> list[dict[str, str]]:
    acc = next(a for a in load_world().accounts if a.platform == platform)
    frame = SandboxConnector(platform).campaigns(acc.id)
    ids = frame[frame.status == "ENABLED"]["campaign_id"].tolist()[:n]
    return [
        {"platform": platform, "account_id": acc.id, "entity_type": "campaign", "entity_id": i} for i in ids
    ]


def status_of(e: dict[str, str]) -> str:
    frame = SandboxConnector(e["platform"]).campaigns(e["account_id"])
    return str(frame.loc[frame.campaign_id == e["entity_id"], "status"].iloc[0])


def budget_of(e: dict[str, str]) -> float:
    frame = SandboxConnector(e["platform"]).campaigns(e["account_id"])
    return float(frame.loc[frame.campaign_id == e["entity_id"], "daily_budget"].iloc[0])


# ---------------------------------------------------------------------------- params and presets


def test_catalogue_derives_params_from_the_models() -> None:
    names = {w["name"] for w in workflows.catalogue()}
    assert {"bulk", "budget-optimization", "bid-adjustment", "pacing-guard", "anomaly-response",
            "creative-rotation", "ab-test"} <= names  # fmt: skip
    bulk = next(w for w in workflows.catalogue() if w["name"] == "bulk")
    params = {p["name"]: p for p in bulk["params"]}
    assert params["action"]["required"] and params["entities"]["required"]
    assert params["reason"] == {**params["reason"], "default": "bulk operation", "required": False}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"action": "pause"}, "param 'entities' is required"),
        ({"action": "zap", "entities": []}, "param 'action'"),
        (
            {"action": "pause", "entities": [{"platform": "myspace", "account_id": "1", "entity_id": "2"}]},
            "platform",
        ),
        ({"action": "pause", "entities": "all"}, "param 'entities'"),
        (
            {
                "action": "pause",
                "entities": [{"platform": "meta", "account_id": "1", "entity_id": "x; DROP TABLE"}],
            },
            "entity_id",
        ),
        (
            {
                "action": "budget",
                "percent": 500,
                "entities": [{"platform": "meta", "account_id": "1", "entity_id": "2"}],
            },
            "percent",
        ),
        (
            {
                "action": "pause",
                "surprise": 1,
                "entities": [{"platform": "meta", "account_id": "1", "entity_id": "2"}],
            },
            "unknown param 'surprise'",
        ),
    ],
)
def test_bad_params_are_refused_before_anything_is_queued(
    sandbox: Path, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        workflows.start("bulk", params)
    assert workflows.runs() == []


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("", "who asks for the run"),
        ("  \t ", "who asks for the run"),
        (None, "who asks for the run"),
        ("d" * 101, "101 characters; at most 100"),
        ("Dana\x07", "control or invisible"),
        ("Dana\u202e", "control or invisible"),
    ],
)
def test_a_run_needs_a_named_requester(sandbox: Path, by: Any, message: str) -> None:
    """Like an approval: no run is recorded or queued for a blank, oversized or hostile name."""
    with pytest.raises(InputError, match=message):
        workflows.start("bulk", {"action": "pause", "entities": campaigns(1)}, by=by)
    assert workflows.runs() == []


def test_oversized_params_and_unknown_names_are_refused(sandbox: Path) -> None:
    huge = [{"platform": "meta", "account_id": "1", "entity_id": str(i)} for i in range(400)]
    with pytest.raises(InputError, match="at most 16,000"):
        workflows.start("bulk", {"action": "pause", "entities": huge, "reason": "x" * 100})
    with pytest.raises(InputError, match="unknown workflow"):
        workflows.start("nope", {})
    with pytest.raises(NotFound, match="no preset"):
        workflows.start("bulk", {}, preset="missing")
    with pytest.raises(NotFound):
        workflows.show("wf-nope")


@pytest.mark.stores  # also on PostgreSQL: the workflow tables and their unique rules
def test_presets_are_validated_saved_replaced_and_overlaid(sandbox: Path) -> None:
    ents = campaigns(1)
    with pytest.raises(InputError):
        workflows.save_preset("bulk", "bad", {"action": "zap", "entities": ents})
    workflows.save_preset("bulk", " pause  one ", {"action": "pause", "entities": ents}, by="me")
    workflows.save_preset("bulk", "pause one", {"action": "enable", "entities": ents}, by="me")  # replaced
    assert [p["name"] for p in workflows.presets("bulk")] == ["pause one"]
    run_id = workflows.start("bulk", {"action": "pause"}, preset="pause one", dry_run=True, by="me")
    assert workflows.show(run_id)["params"]["action"] == "pause"  # params win over the preset
    assert workflows.show(run_id)["preset"] == "pause one"


# ---------------------------------------------------------------------------- approval


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 101, "Dana\x00", "Dana\u202e"])
def test_an_approval_must_name_someone(sandbox: Path, name: str) -> None:
    run = support.start("bulk", {"action": "pause", "entities": campaigns(1)})
    with pytest.raises(InputError):
        workflows.approve(run["run_id"], by=name)
    assert workflows.show(run["run_id"])["status"] == "awaiting_approval"


@pytest.mark.stores  # also on PostgreSQL: the workflow tables and their unique rules
def test_approval_happens_once_and_only_while_waiting(sandbox: Path) -> None:
    ents = campaigns(2)
    run = support.start("bulk", {"action": "pause", "entities": ents})
    assert [status_of(e) for e in ents] == ["ENABLED", "ENABLED"]  # stopped before the first change
    workflows.approve(run["run_id"], by="  Dana   Scully ")
    with pytest.raises(Conflict, match="already"):  # a replay before the changes ran
        workflows.approve(run["run_id"], by="Mallory")
    support.run_job(f"{run['run_id']}.apply")
    done = workflows.show(run["run_id"])
    assert done["status"] == "succeeded" and done["approved_by"] == "Dana Scully"
    assert [status_of(e) for e in ents] == ["PAUSED", "PAUSED"]
    with pytest.raises(Conflict, match="succeeded"):  # approval of a finished run
        workflows.approve(run["run_id"], by="Dana")
    audit = support.audit_rows(run["run_id"])
    assert [(a.actor, a.status, a.after["status"]) for a in audit] == [
        ("Dana Scully", "applied", "PAUSED")
    ] * 2


def test_a_rejected_run_changes_nothing(sandbox: Path) -> None:
    ents = campaigns(1)
    run = support.start("bulk", {"action": "pause", "entities": ents})
    workflows.reject(run["run_id"], by="Dana")
    assert workflows.show(run["run_id"])["status"] == "cancelled"
    assert status_of(ents[0]) == "ENABLED"
    with pytest.raises(Conflict):
        workflows.approve(run["run_id"], by="Dana")


def test_a_run_waiting_too_long_is_cancelled_not_approved(sandbox: Path) -> None:
    (sandbox / "adops.toml").write_text("[workflows.bulk]\napproval_timeout_hours = 0.0001\n")
    run = support.start("bulk", {"action": "pause", "entities": campaigns(1)})
    import time

    time.sleep(0.5)
    with pytest.raises(Conflict, match="approval_timeout_hours"):
        workflows.approve(run["run_id"], by="Dana")
    assert workflows.show(run["run_id"])["status"] == "cancelled"


def test_auto_approval_only_within_the_setting(sandbox: Path) -> None:
    (sandbox / "adops.toml").write_text("[workflows.bulk]\nauto_approve_max_change = 0.2\n")
    ents = campaigns(1)
    small = support.start("bulk", {"action": "budget", "percent": 10, "entities": ents})
    assert small["status"] == "succeeded"
    assert small["approved_by"].startswith("auto-approval ([workflows.bulk] auto_approve_max_change = 0.2")
    big = support.start("bulk", {"action": "budget", "percent": 30, "entities": ents})
    assert big["status"] == "awaiting_approval"
    pause = support.start("bulk", {"action": "pause", "entities": ents})
    assert pause["status"] == "awaiting_approval"  # a pause always waits


# ---------------------------------------------------------------------------- changes, compensation, undo


def test_a_change_step_run_again_neither_writes_nor_records_twice(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ents = campaigns(2)
    run = support.start("bulk", {"action": "pause", "entities": ents})
    run_id = run["run_id"]
    workflows.approve(run_id, by="Dana")
    records.set_status(run_id, "running")
    calls: list[str] = []
    real = SandboxConnector.set_status
    monkeypatch.setattr(SandboxConnector, "set_status", lambda self, *a: calls.append(a[2]) or real(self, *a))
    # the platform already has the first change (its write landed, then the process died)
    real(SandboxConnector("meta"), ents[0]["account_id"], "campaign", ents[0]["entity_id"], "PAUSED")
    runner.apply_change(run_id, 0)
    runner.apply_change(run_id, 0)  # DBOS runs an interrupted step again
    runner.apply_change(run_id, 1)
    assert calls == [ents[1]["entity_id"]]
    assert len(support.audit_rows(run_id)) == 2
    changes = records.changes(run_id)
    assert [c.status for c in changes] == ["applied", "applied"] and changes[0].replaced == "ENABLED"


def test_a_failing_change_compensates_what_the_run_changed(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ents = campaigns(3)
    before = [budget_of(e) for e in ents]
    run = support.start("bulk", {"action": "budget", "percent": 20, "entities": ents})
    real = SandboxConnector.set_daily_budget

    def flaky(self: SandboxConnector, account_id: str, campaign_id: str, amount: float) -> float | None:
        if campaign_id == ents[2]["entity_id"]:
            from adops.connectors.errors import BadRequest

            raise BadRequest("budget below the platform's minimum")
        return real(self, account_id, campaign_id, amount)

    monkeypatch.setattr(SandboxConnector, "set_daily_budget", flaky)
    workflows.approve(run["run_id"], by="Dana")
    support.run_job(f"{run['run_id']}.apply")
    failed = workflows.show(run["run_id"])
    assert failed["status"] == "failed" and "minimum" in failed["error"]
    assert [c["status"] for c in failed["changes"]] == ["reverted", "reverted", "failed"]
    assert [budget_of(e) for e in ents] == before
    assert [s["name"] for s in failed["steps"]][-2:] == ["compensate", "finish"]
    with pytest.raises(Conflict, match="failed"):
        workflows.undo(run["run_id"], by="Dana")


@pytest.mark.stores  # also on PostgreSQL: the workflow tables and their unique rules
def test_undo_reverts_newest_first_once(sandbox: Path) -> None:
    ents = campaigns(2)
    before = [budget_of(e) for e in ents]
    run = support.start("bulk", {"action": "budget", "percent": -10, "entities": ents})
    support.approve(run["run_id"])
    assert [budget_of(e) for e in ents] == [round(b * 0.9, 2) for b in before]
    undone = support.undo(run["run_id"], by="Walter")
    assert undone["status"] == "undone" and undone["undone_by"] == "Walter"
    assert [budget_of(e) for e in ents] == before
    reverts = [a for a in support.audit_rows(run["run_id"]) if a.action.startswith("undo_")]
    assert [a.entity_id for a in reverts] == [ents[1]["entity_id"], ents[0]["entity_id"]]  # newest first
    with pytest.raises(Conflict, match="already undone"):
        workflows.undo(run["run_id"], by="Walter")
    dry = support.start("bulk", {"action": "pause", "entities": ents}, dry_run=True)
    with pytest.raises(Conflict, match="dry run"):
        workflows.undo(dry["run_id"], by="Walter")
    with pytest.raises(InputError):
        workflows.undo(run["run_id"], by=" ")


def test_a_run_publishes_its_progress(sandbox: Path) -> None:
    run = support.start("bulk", {"action": "pause", "entities": campaigns(1)})
    support.approve(run["run_id"])
    support.undo(run["run_id"])
    types = [
        e.type
        for e in events.after(0, 5000)
        if e.type.startswith("workflow.") and e.data.get("run_id") == run["run_id"]
    ]
    for t in ("workflow.started", "workflow.step", "workflow.awaiting_approval", "workflow.approved",
              "workflow.succeeded", "workflow.undone"):  # fmt: skip
        assert t in types
    assert (
        types.index("workflow.awaiting_approval")
        < types.index("workflow.approved")
        < types.index("workflow.succeeded")
    )


def test_a_budget_plan_needs_a_named_approver(sandbox: Path) -> None:
    from adops.optimize.plans import approve

    with pytest.raises(InputError, match="name"):
        approve(1, by="  ")


def test_a_webhook_rule_may_approve_a_run_with_a_name(sandbox: Path) -> None:
    from adops.jobs.trigger_rules import check_params

    assert check_params("workflow.approve", {"run_id": "{{ run }}", "by": "ops-bot"})["by"] == "ops-bot"
    for bad in (
        {"run_id": "../x", "by": "a"},
        {"run_id": "wf-1", "by": ""},
        {"run_id": "wf-1", "by": 3},
        {"run": "x"},
    ):
        with pytest.raises(ConfigError):
            check_params("workflow.approve", bad)
    run = support.start("bulk", {"action": "pause", "entities": campaigns(1)})
    from adops import jobs

    job = jobs.enqueue("workflow.approve", {"run_id": run["run_id"], "by": "ops-bot"}, dedupe=False)
    support.run_job(job)
    support.run_job(f"{run['run_id']}.apply")
    done = workflows.show(run["run_id"])
    assert done["status"] == "succeeded" and done["approved_by"] == "ops-bot"
    assert json.dumps(done)  # plain JSON


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[workflows.bulk]\nauto_approve_max_change = 2\n", "workflows.bulk.auto_approve_max_change"),
        ("[workflows.bulk]\nauto_approve_max_change = -0.1\n", "workflows.bulk.auto_approve_max_change"),
        ("[workflows.bulk]\nauto_approve_max_changes = 0\n", "workflows.bulk.auto_approve_max_changes"),
        ('[workflows.bulk]\napproval_timeout_hours = "soon"\n', "workflows.bulk.approval_timeout_hours"),
        ("[workflows.bulk]\nauto_approve = true\n", "workflows.bulk.auto_approve"),
    ],
)
def test_bad_workflow_settings_name_their_key(workspace: Path, toml: str, key: str) -> None:
    from adops import config

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(toml)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        config.load()


def test_the_auto_approval_step_repeated_after_a_crash_records_one_approval(sandbox: Path) -> None:
    from adops.workflows import approval

    (sandbox / "adops.toml").write_text("[workflows.bulk]\nauto_approve_max_change = 0.2\n")
    run_id = workflows.start(
        "bulk", {"action": "budget", "percent": 5, "entities": campaigns(1)}, dry_run=True, by="tester"
    )
    runner._plan(run_id)
    first, again = approval.decide(run_id), approval.decide(run_id)
    assert first["auto"] and again["auto"]
    assert records.approval(run_id).source == "setting"  # type: ignore[union-attr]


def test_an_approval_whose_changes_were_never_queued_is_completed_by_the_next_one(sandbox: Path) -> None:
    from adops import jobs
    from adops.workflows import approval

    run = support.start("bulk", {"action": "pause", "entities": campaigns(1)})
    approval.record(run["run_id"], "Dana", "cli")  # the approver's process died right after this
    assert jobs.get(f"{run['run_id']}.apply") is None
    workflows.approve(run["run_id"], by="Dana")
    assert jobs.get(f"{run['run_id']}.apply") is not None
    with pytest.raises(Conflict, match="already"):
        workflows.approve(run["run_id"], by="Dana")
