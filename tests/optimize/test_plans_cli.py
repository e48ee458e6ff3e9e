"""`adops plans`: list, show, approve, dry run, apply and roll back on the sandbox, the --json documents,
exit 1 when a change fails, exit 2 with one line on bad input."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adops.cli import app, main
from adops.connectors.sandbox import SandboxConnector
from adops.connectors.sandbox.connector import init_state
from adops.optimize.plans import audit_trail, get_plan
from adops.store.db import session
from adops.store.models import BudgetPlan, BudgetPlanLine

PLATFORM = "meta"
SECRET = "s3cret-api-token-do-not-print"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plans", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def budgets(account_id: str) -> dict[str, float]:
    """What a fresh connector reads from the sandbox's persisted state."""
    table = SandboxConnector(PLATFORM).campaigns(account_id)
    return dict(zip(table["campaign_id"], table["daily_budget"], strict=True))


def store_plan(account_id: str, factors: dict[str, float], name: str = "Meta shift") -> int:
    """A draft campaign plan: each campaign's spend times its factor (1.0: locked)."""
    p = BudgetPlan(
        name=name,
        scope="meta",
        level="campaign",
        objective="conversions",
        currency="USD",
        total_budget=sum(100 * f for f in factors.values()),
        current_total=100.0 * len(factors),
        expected_total=42.0,
        current_expected_total=40.0,
        max_step=0.3,
        status="draft",
        created_by="ana",
        created_at=datetime.now(UTC),
    )
    for i, (cid, factor) in enumerate(factors.items()):
        p.lines.append(
            BudgetPlanLine(
                position=i,
                channel=f"{PLATFORM}:{account_id}:{cid}",
                platform=PLATFORM,
                account_id=account_id,
                campaign_id=cid,
                name=f"campaign {cid}",
                current_spend=100.0,
                recommended_spend=100.0 * factor,
                locked=int(factor == 1.0),
                status="pending",
            )
        )
    with session() as s:
        s.add(p)
        s.flush()
        return p.id


@pytest.fixture
def sandbox(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, dict[str, float]]:
    """A small sandbox world and a draft plan over one account: +100%, −20%, locked."""
    monkeypatch.setenv("ADOPS_API_TOKEN", SECRET)
    init_state(7, date(2026, 11, 24), (3, 3))
    account = SandboxConnector(PLATFORM).world.accounts[3]
    before = budgets(account.id)
    up, down, locked = sorted(before)
    plan_id = store_plan(account.id, {up: 2.0, down: 0.8, locked: 1.0})
    return plan_id, account.id, before


def test_list_and_show(sandbox: tuple[int, str, dict[str, float]]) -> None:
    plan_id, account_id, _ = sandbox
    other = store_plan(account_id, {"x": 1.5}, name="Second")
    code, out, err = invoke("list")
    assert code == 0, err
    assert out.splitlines()[0].split()[:4] == ["id", "name", "status", "scope"]
    assert "Meta shift" in out and "Second" in out and "USD" in out and "by ana" in out
    assert out.index("Second") < out.index("Meta shift")  # newest first

    code, out, err = invoke("list", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [p["id"] for p in doc] == [other, plan_id]
    assert set(doc[1]) >= {
        "id",
        "name",
        "status",
        "scope",
        "daily_budget",
        "currency",
        "expected_total",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
    }
    assert doc[1]["daily_budget"] == pytest.approx(380.0) and doc[1]["currency"] == "USD"
    assert doc[1]["created_at"].endswith("+00:00") and doc[1]["approved_at"] is None

    code, out, err = invoke("show", str(plan_id))
    assert code == 0, err
    assert f"plan {plan_id}: Meta shift (draft)" in out and "lines:" in out and "audit trail:" in out
    assert "nothing rehearsed or changed yet" in out
    code, out, err = invoke("show", str(plan_id), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"plan", "lines", "audit"}
    assert doc["plan"]["id"] == plan_id and doc["plan"]["max_step"] == 0.3 and doc["audit"] == []
    assert len(doc["lines"]) == 3 and doc["lines"][0]["original_budget"] is None  # NaN → null
    assert doc["lines"][0]["change"] == pytest.approx(100.0)
    assert SECRET not in out


def test_approve(sandbox: tuple[int, str, dict[str, float]]) -> None:
    plan_id = sandbox[0]
    code, out, err = invoke("approve", str(plan_id), "--by", "lead")
    assert code == 0, err
    assert f"plan {plan_id} approved by lead" in out
    stored = get_plan(plan_id)
    assert stored.status == "approved" and stored.approved_by == "lead"
    code, out, err = invoke("approve", str(plan_id), "--by", "lead")
    assert code == 2 and err.strip() == f"error: plan {plan_id} is approved: only a draft can be approved"


def test_dry_run_changes_nothing(sandbox: tuple[int, str, dict[str, float]]) -> None:
    plan_id, account_id, before = sandbox
    code, out, err = invoke("apply", str(plan_id), "--dry-run", "--by", "ana")  # a draft can be rehearsed
    assert code == 0, err
    assert re.search(
        r"Dry run: nothing changed\. 2 budget change\(s\); \d+ campaign\(s\) not yet at target\.", out
    )
    assert "rehearsed" in out and "skipped" in out
    assert budgets(account_id) == before and get_plan(plan_id).status == "draft"
    trail = audit_trail(plan_id)
    assert len(trail) == 2 and trail["dry_run"].all() and set(trail["actor"]) == {"ana"}


def test_apply_moves_budgets_and_rollback_restores(sandbox: tuple[int, str, dict[str, float]]) -> None:
    plan_id, account_id, before = sandbox
    up, down, locked = sorted(before)
    assert invoke("approve", str(plan_id), "--by", "lead")[0] == 0

    code, out, err = invoke("apply", str(plan_id), "--by", "ana", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["plan_id"] == plan_id and doc["dry_run"] is False and doc["status"] == "applying"
    assert doc["changes"] == 2 and doc["failed"] == 0 and len(doc["steps"]) == 3
    assert set(doc["steps"][0]) >= {"channel", "campaign_id", "before", "after", "target", "status", "note"}
    after = budgets(account_id)
    assert after[up] == pytest.approx(round(before[up] * 1.3, 2))  # +100% wanted, +30% a day
    assert after[down] == pytest.approx(round(before[down] * 0.8, 2))
    assert after[locked] == before[locked]

    code, out, err = invoke("apply", str(plan_id), "--by", "ana")  # the same day: today's step is taken
    assert code == 0, err
    assert "Plan is now applying. 0 budget change(s)" in out and "waiting" in out

    code, out, err = invoke("outcome", str(plan_id), "--json")
    assert code == 0, err
    outcome = json.loads(out)
    assert {"since", "days", "expected", "actual", "channels"} <= set(outcome)
    assert len(outcome["channels"]) == 3 and get_plan(plan_id).outcome == outcome
    code, out, err = invoke("outcome", str(plan_id))
    assert code == 0, err
    assert "no complete day since the first step" in out and "planned spend" in out

    code, out, err = invoke("rollback", str(plan_id), "--dry-run", "--by", "lead")
    assert code == 0, err
    assert "Dry run: nothing changed. 2 budget(s) would be restored." in out
    assert budgets(account_id) == after

    code, out, err = invoke("rollback", str(plan_id), "--by", "lead")
    assert code == 0, err
    assert "Plan is now rolled_back. 2 budget(s) restored." in out
    assert budgets(account_id) == before and get_plan(plan_id).rolled_back_by == "lead"

    code, out, err = invoke("show", str(plan_id))
    assert code == 0, err
    assert "rolled back 20" in out and "rolled_back" in out  # the plan's history and its lines
    trail = out.split("audit trail:")[1]
    assert trail.count(" applied") == 4 and trail.count("rehearsed") == 2  # 2 steps, 2 restores


def test_a_failed_change_exits_1(sandbox: tuple[int, str, dict[str, float]]) -> None:
    _, account_id, before = sandbox
    plan_id = store_plan(account_id, {sorted(before)[0]: 1.2, "no-such-campaign": 1.5}, name="Broken")
    invoke("approve", str(plan_id), "--by", "lead")
    code, out, err = invoke("apply", str(plan_id), "--by", "ana")
    assert code == 1
    assert "Plan is now applying. 1 change(s) failed; see the audit trail." in out
    assert "no-such-campaign failed: campaign not found on the platform" in err
    code, out, _ = invoke("apply", str(plan_id), "--by", "ana", "--json")
    assert code == 1 and json.loads(out)["failed"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "999"], "no budget plan 999"),
        (["list", "--limit", "0"], "--limit"),
        (["show", "abc"], "plan id 'abc' is not a whole number"),
        (["approve", "0", "--by", "x"], "ids start at 1"),
        (["outcome", "{id}"], "has not been applied"),
        (["apply", "{id}", "--by", "ana"], "it cannot be applied (needs approved or applying)"),
        (["rollback", "{id}", "--by", "ana"], "only an applied plan can be rolled back"),
        (["approve", "{id}", "--by", "  "], "--by must name who does it"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    sandbox: tuple[int, str, dict[str, float]], args: list[str], message: str
) -> None:
    code, out, err = invoke(*[a.format(id=sandbox[0]) for a in args])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and err.startswith("error: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["plans", "show", "1.5"], "not a whole number"), (["plans", "approve", "1"], "--by")],
)
def test_bad_input_through_the_entry_point(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
