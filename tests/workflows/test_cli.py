"""`adops workflow`: the INTERFACES.md shapes, a run without a sidecar (run in the CLI's process),
approve and undo with names, and every bad input as exit 2 (or 1 for a state conflict) with one line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from tests.cli_support import run

CHANGE_KEYS = {"platform", "account_id", "entity_type", "entity_id", "field", "before", "after", "reason"}


@pytest.fixture
def sandbox(workspace: Path) -> Path:
    init_state(7, date(2026, 11, 24), (3, 3))
    return workspace


def entities() -> str:
    acc = next(a for a in load_world().accounts if a.platform == "tiktok")
    frame = SandboxConnector("tiktok").campaigns(acc.id)
    ids = frame[frame.status == "ENABLED"]["campaign_id"].tolist()[:2]
    return json.dumps([{"platform": "tiktok", "account_id": acc.id, "entity_id": i} for i in ids])


def test_list_derives_params(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["workflow", "list", "--json"], capsys)
    assert code == 0 and not err
    doc = json.loads(out)
    names = {w["name"] for w in doc["workflows"]}
    assert {
        "budget-optimization",
        "ab-test",
        "creative-rotation",
        "bid-adjustment",
        "pacing-guard",
        "anomaly-response",
    } <= names
    for w in doc["workflows"]:
        assert set(w) == {"name", "description", "params"}
        for p in w["params"]:
            assert {"name", "type", "default", "required"} <= set(p)


@pytest.mark.slow
def test_run_approve_undo_without_a_sidecar(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = ["--param", "action=pause", "--param", f"entities={entities()}"]
    code, out, _ = run(["workflow", "run", "bulk", *params, "--dry-run", "--json"], capsys)
    dry = json.loads(out)
    assert code == 0 and dry["status"] == "succeeded" and dry["dry_run"] is True
    assert {"run_id", "workflow", "status", "dry_run", "steps", "changes"} <= set(dry)
    assert all(set(s) >= {"name", "status", "output"} for s in dry["steps"])
    assert len(dry["changes"]) == 2 and all(set(c) >= CHANGE_KEYS for c in dry["changes"])

    code, out, _ = run(["workflow", "run", "bulk", *params, "--json"], capsys)
    waiting = json.loads(out)
    assert code == 0 and waiting["status"] == "awaiting_approval"
    rid = waiting["run_id"]
    code, out, err = run(["workflow", "approve", rid, "--by", "", "--json"], capsys)
    assert code == 2 and err.count("\n") == 1 and "name" in err
    code, out, _ = run(["workflow", "approve", rid, "--by", "Dana", "--json"], capsys)
    assert code == 0 and json.loads(out)["status"] == "succeeded"
    code, out, err = run(["workflow", "approve", rid, "--by", "Dana", "--json"], capsys)  # replayed
    assert code == 1 and "awaiting approval" in err and err.count("\n") == 1
    code, out, _ = run(["workflow", "undo", rid, "--by", "Dana", "--json"], capsys)
    assert code == 0 and json.loads(out)["status"] == "undone"
    code, out, err = run(["workflow", "undo", rid, "--by", "Dana"], capsys)
    assert code == 1 and "already undone" in err
    code, out, _ = run(["workflow", "runs", "--json"], capsys)
    listed = json.loads(out)["runs"]
    assert [r["run_id"] for r in listed] == [rid, dry["run_id"]]  # newest first
    code, out, _ = run(["workflow", "show", rid, "--json"], capsys)
    assert json.loads(out)["status"] == "undone"


@pytest.mark.parametrize(
    "args",
    [
        ["workflow", "run", "nope"],
        ["workflow", "run", "bulk", "--param", "action=zap"],
        ["workflow", "run", "bulk", "--param", "action"],
        ["workflow", "run", "bulk", "--param", "Action=pause"],
        ["workflow", "run", "bulk", "--param", "action=pause", "--param", "action=enable"],
        ["workflow", "run", "bulk", "--param", "action=pause", "--param", "entities=NaN"],
        ["workflow", "run", "bulk", "--param", "entities=" + "x" * 17_000],
        ["workflow", "run", "bulk", "--preset", "missing"],
        ["workflow", "run", "bid-adjustment", "--param", "target_cpa=-3"],
        ["workflow", "run", "bid-adjustment", "--param", "target_cpa=5", "--param", "target_roas=2"],
        ["workflow", "show", "wf-missing"],
        ["workflow", "save-preset", "bulk", " ", "--param", "action=pause"],
        ["workflow", "runs", "--limit", "0"],
        ["workflow", "runs", "--status", "exploded"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    sandbox: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("by", ["", "   ", "\t\n", "x" * 101, "Dana\x1b[31m", "Dana\u200b", "Dana\x00"])
def test_a_run_needs_a_named_requester(sandbox: Path, capsys: pytest.CaptureFixture[str], by: str) -> None:
    from adops import workflows

    code, out, err = run(["workflow", "run", "pacing-guard", "--dry-run", "--by", by], capsys)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "requester" in err or "who asks" in err
    assert workflows.runs() == []  # nothing recorded, nothing queued


def test_a_runs_requester_is_recorded_cleaned(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["workflow", "run", "pacing-guard", "--dry-run", "--by", "  Dana   Lee ", "--wait", "0", "--json"]
    code, out, err = run(args, capsys)  # recorded and queued, not followed (no DBOS in this process)
    assert code == 0, err
    assert json.loads(out)["requested_by"] == "Dana Lee"
